// The timer wheel's slot lists and cascading.
#include "core/timer/timer_wheel.h"

#include "mem/lock/lock_guard.h"

namespace osprey::timer {

namespace {

void initHead(TimerLink& h) {
    h.next = &h;
    h.prev = &h;
}

void pushBack(TimerLink& head, TimerLink& l) {
    l.prev = head.prev;
    l.next = &head;
    head.prev->next = &l;
    head.prev = &l;
}

}  // namespace

TimerWheel::TimerWheel(uint64_t now) : cur_(now) {
    for (auto& level : slots_) {
        for (TimerLink& h : level) initHead(h);
    }
}

void TimerWheel::unlink(TimerNode& n) {
    n.link.prev->next = n.link.next;
    n.link.next->prev = n.link.prev;
    n.link.next = n.link.prev = nullptr;
    n.armed = false;
}

// A node sits at the level whose span holds its distance from the current tick, in the slot
// named by the matching bits of its expiry; the slot of a level above 0 is cascaded (its
// nodes re-inserted lower) when the clock enters the block it stands for.
void TimerWheel::insert(TimerNode& n) {
    const uint64_t delta = n.expires - cur_;
    unsigned level = 0;
    while (level + 1 < kLevels && delta >= (uint64_t{1} << (8 * (level + 1)))) ++level;
    pushBack(slots_[level][(n.expires >> (8 * level)) & (kSlots - 1)], n.link);
    n.armed = true;
}

void TimerWheel::cascade(unsigned level) {
    TimerLink& head = slots_[level][(cur_ >> (8 * level)) & (kSlots - 1)];
    TimerLink list = head;  // detach the whole slot, then re-insert every node
    if (list.next == &head) return;
    list.next->prev = &list;
    list.prev->next = &list;
    initHead(head);
    while (list.next != &list) {
        auto* n = reinterpret_cast<TimerNode*>(list.next);
        unlink(n[0]);
        insert(*n);
    }
}

bool TimerWheel::arm(TimerNode& node, uint64_t delayMs, TimerHandler handler) {
    if (delayMs == 0) delayMs = 1;
    if (delayMs > kMaxDelay) delayMs = kMaxDelay;
    mem::LockGuard g(lock_);
    const bool was = node.armed;
    if (was) unlink(node);
    node.handler = handler;
    node.expires = cur_ + delayMs;
    insert(node);
    return was;
}

bool TimerWheel::disarm(TimerNode& node) {
    mem::LockGuard g(lock_);
    if (!node.armed) return false;
    unlink(node);
    return true;
}

bool TimerWheel::isArmed(const TimerNode& node) {
    mem::LockGuard g(lock_);
    return node.armed;
}

uint64_t TimerWheel::now() {
    mem::LockGuard g(lock_);
    return cur_;
}

size_t TimerWheel::advance(uint64_t now) {
    size_t fired = 0;
    TimerNode* batch[kFireBatch];
    TimerHandler handlers[kFireBatch];
    for (;;) {
        size_t n = 0;
        bool done = false;
        {
            mem::LockGuard g(lock_);
            for (;;) {
                TimerLink& due = slots_[0][cur_ & (kSlots - 1)];
                while (due.next != &due && n < kFireBatch) {
                    auto* node = reinterpret_cast<TimerNode*>(due.next);
                    unlink(*node);
                    handlers[n] = node->handler;
                    batch[n++] = node;
                }
                if (n == kFireBatch) break;
                if (cur_ >= now) {
                    done = true;
                    break;
                }
                ++cur_;
                // Entering a new block of a level: its slot's nodes move down.
                for (unsigned level = 1; level < kLevels; ++level) {
                    if ((cur_ & ((uint64_t{1} << (8 * level)) - 1)) != 0) break;
                    cascade(level);
                }
            }
        }
        // The handler was read under the lock: a re-arm after unlocking cannot change which
        // one this expiry runs.
        for (size_t i = 0; i < n; ++i) handlers[i](batch[i]);
        fired += n;
        if (done) return fired;
    }
}

}  // namespace osprey::timer
