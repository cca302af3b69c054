// Where an allocation was requested. Every allocator entry point takes one, defaulted to the
// caller's location, so debug allocators can name the allocating line without macros.
#pragma once
#include <source_location>

namespace osprey::mem {

using AllocSite = std::source_location;

} // namespace osprey::mem
