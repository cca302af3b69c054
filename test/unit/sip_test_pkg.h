// SIP unit tests: a pkg heap for the per-message arenas' overflow chunks, made before any
// test runs (the parser allocates from pkg only beyond a message's inline arena).
#pragma once
#include "mem/pkg.h"

namespace osprey::sip::test {
[[maybe_unused]] static const bool kPkgReady = osprey::mem::pkgInit(32u << 20);
}  // namespace osprey::sip::test
