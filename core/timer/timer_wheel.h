// A hierarchical timer wheel that lives in shm (docs/design.md §2, §6): four levels of 256 slots
// with millisecond ticks (level 0: the next 256 ms one slot per ms; level 1: 256 ms slots up to 65
// s; level 2: up to 4.6 h; level 3: up to 49 days). Timers are intrusive: a TimerNode sits inside
// the object it times (a transaction, a branch), so arming and disarming never allocate. Any
// process may arm or disarm; one lock per wheel guards the slot lists.
//
// Firing: advance(now) moves the wheel's clock forward, cascades the upper levels as their
// slots come due, and takes every expired node off the wheel (it is then unarmed) before
// calling its handler with the lock released. Handlers may re-arm their node. Because a
// handler runs without the wheel lock, a worker may disarm or re-arm the same node between
// the moment it expired and the moment its handler runs: disarm() then returns false ("it
// already fired"). Users that hold a reference per armed timer use that return value: the
// reference of a disarmed timer goes back to the disarmer, that of a fired one to the
// handler, and the handler re-checks, under the owner's own lock, whether the event still
// matters (tm: the transaction lock and its state).
#pragma once
#include <cstddef>
#include <cstdint>

#include "mem/lock/futex_mutex.h"

namespace osprey::timer {

struct TimerNode;
using TimerHandler = void (*)(TimerNode* node);

struct TimerLink {
    TimerLink* next = nullptr;
    TimerLink* prev = nullptr;
};

struct TimerNode {
    TimerLink link;               // must stay first (the wheel casts links back to nodes)
    uint64_t expires = 0;         // wheel tick (ms) it fires at, valid while armed
    TimerHandler handler = nullptr;
    bool armed = false;
};

class TimerWheel {
public:
    static constexpr unsigned kLevels = 4;
    static constexpr unsigned kSlots = 256;
    static constexpr uint64_t kMaxDelay = (uint64_t{1} << 32) - 1;  // longer delays are clamped

    // `now`: the current tick (ms on whatever clock the owner advances it with).
    explicit TimerWheel(uint64_t now);
    TimerWheel(const TimerWheel&) = delete;
    TimerWheel& operator=(const TimerWheel&) = delete;

    // Arms (or re-arms) node to fire delayMs after the wheel's current tick (at least one
    // tick). Returns true when it was armed already (it has only moved).
    bool arm(TimerNode& node, uint64_t delayMs, TimerHandler handler);
    // Takes node off the wheel. False when it was not armed (never armed, or already fired:
    // its handler runs or ran).
    bool disarm(TimerNode& node);
    bool isArmed(const TimerNode& node);

    // Fires everything due up to and including tick `now`. Returns how many handlers ran.
    size_t advance(uint64_t now);
    uint64_t now();

private:
    static constexpr size_t kFireBatch = 128;

    void insert(TimerNode& n);  // lock held
    void cascade(unsigned level);
    static void unlink(TimerNode& n);

    mem::FutexMutex lock_;
    uint64_t cur_;
    TimerLink slots_[kLevels][kSlots];
};

}  // namespace osprey::timer
