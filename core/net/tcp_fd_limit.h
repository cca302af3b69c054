// Room for thousands of connections: the soft RLIMIT_NOFILE (often 1024) is raised in the
// master before fork, so every process inherits it, as far as the hard limit allows.
#pragma once
#include <cstdint>

namespace osprey::net {

// Raises the soft limit to at least `wanted` descriptors (up to the hard limit) and returns
// the soft limit now in force; logs when it stays below `wanted`.
uint64_t raiseFdLimit(uint64_t wanted);

}  // namespace osprey::net
