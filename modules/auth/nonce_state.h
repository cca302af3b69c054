// Replay state for nonces (Kamailio's nonce_count and one_time_nonce), shared by every process:
// a counter that hands out nonce ids, and per id
//   - the highest nc accepted so far (one octet, nonce_count: RFC 7616 §3.4 asks the server to
//     refuse an nc it has seen), and
//   - a "used" bit (one_time_nonce: a nonce answered without qop may be used once).
// Both are fixed-size rings indexed by nid modulo their size, so memory is bounded: a nonce
// whose slot was handed to a newer nonce since is treated as stale (the client retries with
// the fresh nonce of the new challenge, without asking its user). Updates are lock-free
// (compare-and-swap on the slot), so workers never wait on each other here.
//
// The block lives in shm (allocated by the master before fork); tests give it plain memory.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace osprey::auth {

enum class Replay : uint8_t { Ok, Reused, Stale };

class NonceState {
public:
    // Bytes needed for rings of 2^ncOrder and 2^otnOrder entries (order 0: ring disabled).
    static size_t bytesNeeded(unsigned ncOrder, unsigned otnOrder);
    // Lays the state out in mem (zeroed, bytesNeeded bytes, 8-byte aligned); the first nid is
    // firstNid (random, so nonces of a previous run do not map onto live slots).
    static NonceState* create(void* mem, unsigned ncOrder, unsigned otnOrder, uint32_t firstNid);

    // A new nonce id, its slots reset.
    uint32_t newNid();
    // nc (1..255 usable) for nonce nid, answered with qop: Ok and remembered when greater than
    // any accepted before; Reused when not; Stale when its slot is gone or nc is beyond 255.
    Replay acceptNc(uint32_t nid, uint32_t nc);
    // Marks the nid's nc as used up (a failed attempt with nonce_count: the nonce is spent).
    void spendNc(uint32_t nid);
    // A nonce answered without qop (one_time_nonce): Ok the first time only.
    Replay acceptOnce(uint32_t nid);

    bool ncEnabled() const { return ncSize_ != 0; }
    bool otnEnabled() const { return otnSize_ != 0; }

private:
    NonceState() = default;
    bool gone(uint32_t nid, uint32_t size) const;
    uint8_t* nc() { return reinterpret_cast<uint8_t*>(this + 1); }
    uint64_t* otn() { return reinterpret_cast<uint64_t*>(nc() + ncBytes_); }

    std::atomic<uint32_t> next_{0};
    uint32_t ncSize_ = 0;   // entries, power of two or 0
    uint32_t otnSize_ = 0;  // bits, power of two (>= 64) or 0
    uint32_t ncBytes_ = 0;  // ncSize_ rounded up to 8 so the bitmap is aligned
};

}  // namespace osprey::auth
