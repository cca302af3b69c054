// The order targets are tried in (RFC 2782 "Usage rules", RFC 3263 §4.4): lowest priority
// first; within one priority, with load balancing on (dns_srv_lb), a weighted random order,
// otherwise the higher weight first. The addresses of one SRV record (its group) stay together
// and in their order (A before AAAA).
//
// Weighted selection, RFC 2782: sum the weights of the records not yet ordered, pick a random
// number in [1, sum] and take the first record whose running sum reaches it. Records of weight
// 0 are placed first, as the RFC says, but never win the draw while a record with a positive
// weight is left (the RFC gives them "a very small chance"; none keeps the result testable).
#pragma once
#include <cstdint>

#include "core/dns/target.h"

namespace osprey::dns {

// Returns a random number in [0, bound) (bound > 0); the resolver passes its generator.
using RandomFn = uint32_t (*)(uint32_t bound);

// Reorders t[0, n) in place, keeping NAPTR sets (Target::set) in their order. With random ==
// nullptr (or lb false) the order is deterministic.
void orderTargets(Target* t, unsigned n, bool lb, RandomFn random);

// The process's own generator (xorshift, seeded per process): RandomFn for the router.
uint32_t processRandom(uint32_t bound);

}  // namespace osprey::dns
