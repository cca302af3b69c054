// The kernel thread id of the caller, cached per thread. Locks store it as their owner so a
// waiter can ask the kernel whether the owner still exists. The cache is cleared in a forked
// child (pthread_atfork), because the child runs under a new id.
#pragma once
#include <cstdint>

namespace osprey::mem {

namespace detail {
inline thread_local uint32_t t_tid = 0;
inline thread_local uint32_t t_lastDeadOwner = 0;
uint32_t refreshTid();
}  // namespace detail

inline uint32_t currentTid() {
    uint32_t t = detail::t_tid;
    return t != 0 ? t : detail::refreshTid();
}

// True when no thread with this id exists any more (kill(tid, 0) fails with ESRCH).
// A thread that exists but belongs to another user counts as alive.
bool threadGone(uint32_t tid);

// The id of the dead holder that this thread's most recent LockStatus::OwnerDied took the lock
// over from (0 before any), so the code that repairs the structure can name it in its log.
inline uint32_t lastDeadOwner() {
    return detail::t_lastDeadOwner;
}
inline void noteDeadOwner(uint32_t tid) {
    detail::t_lastDeadOwner = tid;
}

}  // namespace osprey::mem
