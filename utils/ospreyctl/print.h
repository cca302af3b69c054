// ospreyctl's human-readable output: the result tree indented, one "name: value" per line,
// array elements as "- " items.
#pragma once
#include <string>

#include "core/rpc/value.h"

namespace osprey::ctl {

std::string printTree(const rpc::Value& v);

}  // namespace osprey::ctl
