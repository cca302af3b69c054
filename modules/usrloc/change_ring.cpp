// ChangeRing: the shm queue of binding changes for the database writer.
#include "modules/usrloc/change_ring.h"

#include <unistd.h>

#include <cstring>
#include <new>

#include "mem/lock/lock_guard.h"
#include "mem/shm.h"

namespace osprey::usrloc {

namespace {

// A record that does not fit before the end of the buffer is preceded by this marker and
// written from the start (records are never split, so drain can copy them whole).
constexpr uint32_t kWrapMarker = 0xFFFFFFFFu;
// Far above the api.h limits on a binding's texts. A Reply carries two datagrams; one that
// does not fit (a 200 OK listing very many bindings) is refused and its sender waits instead.
constexpr size_t kMaxRecord = 8192;

struct Writer {
    char* p;
    char* end;
    bool ok = true;
    void bytes(const void* s, size_t n) {
        if (n == 0) return;  // an empty view may have no data pointer at all
        if (!ok || static_cast<size_t>(end - p) < n) {
            ok = false;
            return;
        }
        std::memcpy(p, s, n);
        p += n;
    }
    template <class T>
    void num(T v) {
        bytes(&v, sizeof v);
    }
    void text(std::string_view s) {
        num(static_cast<uint16_t>(s.size()));
        if (s.size() > UINT16_MAX) ok = false;
        bytes(s.data(), s.size());
    }
};

struct Reader {
    const char* p;
    const char* end;
    bool ok = true;
    template <class T>
    T num() {
        T v{};
        if (!ok || static_cast<size_t>(end - p) < sizeof v) {
            ok = false;
            return v;
        }
        std::memcpy(&v, p, sizeof v);
        p += sizeof v;
        return v;
    }
    std::string_view text() {
        const uint16_t n = num<uint16_t>();
        if (!ok || static_cast<size_t>(end - p) < n) {
            ok = false;
            return {};
        }
        std::string_view s(p, n);
        p += n;
        return s;
    }
};

}  // namespace

ChangeRing* ChangeRing::create(size_t capacity, int eventFd, bool wakeEach) {
    if (capacity < 2 * kMaxRecord || capacity > UINT32_MAX / 2) return nullptr;
    void* mem = mem::shmAllocZero(sizeof(ChangeRing) + capacity);
    if (mem == nullptr) return nullptr;
    auto* r = new (mem) ChangeRing;
    r->cap_ = static_cast<uint32_t>(capacity);
    r->eventFd_ = eventFd;
    r->wakeEach_ = wakeEach;
    r->buf_ = reinterpret_cast<char*>(r + 1);
    return r;
}

void ChangeRing::destroy(ChangeRing* r) {
    if (r == nullptr) return;
    r->~ChangeRing();
    mem::shmFree(r);
}

bool ChangeRing::pushUpsert(uint8_t table, std::string_view aor, const ContactData& c) {
    char rec[kMaxRecord];
    Writer w{rec + 4, rec + sizeof rec};
    w.num(static_cast<uint8_t>(ChangeOp::Upsert));
    w.num(table);
    w.text(aor);
    w.num(c.expires);
    w.num(c.lastModified);
    w.num(c.cseq);
    w.num(c.regId);
    w.num(static_cast<int32_t>(c.q));
    w.num(c.flags);
    for (std::string_view s :
         {c.uri, c.callId, c.path, c.received, c.userAgent, c.instance, c.socket})
        w.text(s);
    if (!w.ok) return false;
    const auto len = static_cast<uint32_t>(w.p - rec - 4);
    std::memcpy(rec, &len, 4);
    return push(rec, len + 4);
}

bool ChangeRing::pushDelete(uint8_t table, std::string_view aor, std::string_view uri) {
    char rec[kMaxRecord];
    Writer w{rec + 4, rec + sizeof rec};
    w.num(static_cast<uint8_t>(ChangeOp::Delete));
    w.num(table);
    w.text(aor);
    w.text(uri);
    if (!w.ok) return false;
    const auto len = static_cast<uint32_t>(w.p - rec - 4);
    std::memcpy(rec, &len, 4);
    return push(rec, len + 4);
}

bool ChangeRing::pushReply(std::string_view aor, const PendingReply& r) {
    char rec[kMaxRecord];
    Writer w{rec + 4, rec + sizeof rec};
    w.num(static_cast<uint8_t>(ChangeOp::Reply));
    w.num(uint8_t{0});
    w.text(aor);
    w.num(r.target);
    w.num(r.socket);
    for (std::string_view s : {r.address, r.ok, r.failed}) w.text(s);
    if (!w.ok) return false;
    const auto len = static_cast<uint32_t>(w.p - rec - 4);
    std::memcpy(rec, &len, 4);
    return push(rec, len + 4);
}

bool ChangeRing::push(const char* rec, uint32_t len) {
    bool wakeNow;
    {
        mem::LockGuard g(lock_);
        uint32_t pos = static_cast<uint32_t>(head_ % cap_);
        uint32_t need = len;
        const bool wrap = cap_ - pos < len;
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
        std::memcpy(buf_ + pos, rec, len);
        head_ += len;
        seq_.store(seq_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
        wakeNow = wakeEach_ || (head_ - tail_) * 2 > cap_;
    }
    if (wakeNow && writerSleeping_.load(std::memory_order_seq_cst)) wake();
    return true;
}

void ChangeRing::wake() {
    if (eventFd_ < 0) return;
    uint64_t one = 1;
    ssize_t n = write(eventFd_, &one, sizeof one);
    (void)n;  // a full counter (EAGAIN) means a wake-up is pending anyway
}

bool ChangeRing::empty() {
    mem::LockGuard g(lock_);
    return head_ == tail_;
}

size_t ChangeRing::used() {
    mem::LockGuard g(lock_);
    return static_cast<size_t>(head_ - tail_);
}

size_t ChangeRing::drain(std::vector<char>& out, uint64_t* through) {
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

bool ChangeRing::next(std::string_view& in, Change& out) {
    if (in.size() < 4) return false;
    uint32_t len;
    std::memcpy(&len, in.data(), 4);
    if (in.size() - 4 < len) return false;
    Reader r{in.data() + 4, in.data() + 4 + len};
    in.remove_prefix(4 + len);
    out = Change{};
    out.op = static_cast<ChangeOp>(r.num<uint8_t>());
    out.table = r.num<uint8_t>();
    out.aor = r.text();
    if (out.op == ChangeOp::Delete) {
        out.c.uri = r.text();
        return r.ok;
    }
    if (out.op == ChangeOp::Reply) {
        out.reply.target = r.num<uint64_t>();
        out.reply.socket = r.num<int32_t>();
        out.reply.address = r.text();
        out.reply.ok = r.text();
        out.reply.failed = r.text();
        return r.ok;
    }
    if (out.op != ChangeOp::Upsert) return false;
    out.c.expires = r.num<int64_t>();
    out.c.lastModified = r.num<int64_t>();
    out.c.cseq = r.num<uint32_t>();
    out.c.regId = r.num<uint32_t>();
    out.c.q = r.num<int32_t>();
    out.c.flags = r.num<uint32_t>();
    out.c.uri = r.text();
    out.c.callId = r.text();
    out.c.path = r.text();
    out.c.received = r.text();
    out.c.userAgent = r.text();
    out.c.instance = r.text();
    out.c.socket = r.text();
    return r.ok;
}

}  // namespace osprey::usrloc
