// RecordRing: the shm byte ring between producers and a database writer.
#include "core/db/record_ring.h"

#include <unistd.h>

#include <cstring>
#include <new>

#include "mem/lock/lock_guard.h"
#include "mem/shm.h"

namespace osprey::db {

namespace {

// A record that does not fit before the end of the buffer is preceded by this marker and
// written from the start (records are never split, so drain can copy them whole).
constexpr uint32_t kWrapMarker = 0xFFFFFFFFu;

}  // namespace

RecordRing* RecordRing::create(size_t capacity, int eventFd, bool wakeEach) {
    if (capacity < 2 * kMaxRecord || capacity > UINT32_MAX / 2) return nullptr;
    void* mem = mem::shmAllocZero(sizeof(RecordRing) + capacity);
    if (mem == nullptr) return nullptr;
    auto* r = new (mem) RecordRing;
    r->init(reinterpret_cast<char*>(r + 1), static_cast<uint32_t>(capacity), eventFd, wakeEach);
    return r;
}

void RecordRing::destroy(RecordRing* r) {
    if (r == nullptr) return;
    r->~RecordRing();
    mem::shmFree(r);
}

void RecordRing::init(char* buf, uint32_t capacity, int eventFd, bool wakeEach) {
    buf_ = buf;
    cap_ = capacity;
    eventFd_ = eventFd;
    wakeEach_ = wakeEach;
}

bool RecordRing::push(const char* rec, uint32_t len) {
    const uint32_t total = len + 4;
    if (len > kMaxRecord) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    bool wakeNow;
    {
        mem::LockGuard g(lock_);
        uint32_t pos = static_cast<uint32_t>(head_ % cap_);
        uint32_t need = total;
        const bool wrap = cap_ - pos < total;
        if (wrap) need += cap_ - pos;  // the skipped end counts as used until drained
        if (head_ - tail_ + need > cap_) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        if (wrap) {
            if (cap_ - pos >= 4) std::memcpy(buf_ + pos, &kWrapMarker, 4);
            head_ += cap_ - pos;
            pos = 0;
        }
        std::memcpy(buf_ + pos, &len, 4);
        std::memcpy(buf_ + pos + 4, rec, len);
        head_ += total;
        seq_.store(seq_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
        wakeNow = wakeEach_ || (head_ - tail_) * 2 > cap_;
    }
    if (wakeNow && writerSleeping_.load(std::memory_order_seq_cst)) wake();
    return true;
}

void RecordRing::wake() {
    if (eventFd_ < 0) return;
    uint64_t one = 1;
    ssize_t n = write(eventFd_, &one, sizeof one);
    (void)n;  // a full counter (EAGAIN) means a wake-up is pending anyway
}

bool RecordRing::empty() {
    mem::LockGuard g(lock_);
    return head_ == tail_;
}

size_t RecordRing::used() {
    mem::LockGuard g(lock_);
    return static_cast<size_t>(head_ - tail_);
}

size_t RecordRing::drain(std::vector<char>& out, uint64_t* through) {
    size_t count = 0;
    mem::LockGuard g(lock_);
    drained_.store(seq_.load(std::memory_order_relaxed), std::memory_order_release);
    if (through != nullptr) *through = drained_.load(std::memory_order_relaxed);
    while (tail_ != head_) {
        const uint32_t pos = static_cast<uint32_t>(tail_ % cap_);
        uint32_t len = kWrapMarker;
        if (cap_ - pos >= 4) std::memcpy(&len, buf_ + pos, 4);
        if (len == kWrapMarker) {  // the rest of the buffer was skipped by a wrapping push
            tail_ += cap_ - pos;
            continue;
        }
        out.insert(out.end(), buf_ + pos, buf_ + pos + 4 + len);
        tail_ += 4 + len;
        ++count;
    }
    return count;
}

bool RecordRing::next(const char*& in, const char* end, const char** rec, uint32_t* len) {
    if (end - in < 4) return false;
    uint32_t n;
    std::memcpy(&n, in, 4);
    if (static_cast<size_t>(end - in - 4) < n) return false;
    *rec = in + 4;
    *len = n;
    in += 4 + n;
    return true;
}

}  // namespace osprey::db
