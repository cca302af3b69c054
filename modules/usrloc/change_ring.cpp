// ChangeRing: the shm queue of binding changes for the database writer.
#include "modules/usrloc/change_ring.h"

#include <unistd.h>

#include <cstring>
#include <new>

#include "mem/shm.h"

namespace osprey::usrloc {

namespace {

// Far above the api.h limits on a binding's texts. A Reply carries two datagrams; one that
// does not fit (a 200 OK listing very many bindings) is refused and its sender waits instead.
constexpr size_t kMaxRecord = db::RecordRing::kMaxRecord;

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
    r->ring_.init(reinterpret_cast<char*>(r + 1), static_cast<uint32_t>(capacity), eventFd,
                  wakeEach);
    return r;
}

void ChangeRing::destroy(ChangeRing* r) {
    if (r == nullptr) return;
    r->~ChangeRing();
    mem::shmFree(r);
}

bool ChangeRing::pushUpsert(uint8_t table, std::string_view aor, const ContactData& c,
                            ChangeOp op) {
    char rec[kMaxRecord];
    Writer w{rec, rec + sizeof rec};
    w.num(static_cast<uint8_t>(op));
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
    return ring_.push(rec, static_cast<uint32_t>(w.p - rec));
}

bool ChangeRing::pushDelete(uint8_t table, std::string_view aor, std::string_view uri) {
    char rec[kMaxRecord];
    Writer w{rec, rec + sizeof rec};
    w.num(static_cast<uint8_t>(ChangeOp::Delete));
    w.num(table);
    w.text(aor);
    w.text(uri);
    if (!w.ok) return false;
    return ring_.push(rec, static_cast<uint32_t>(w.p - rec));
}

bool ChangeRing::pushReply(std::string_view aor, const PendingReply& r) {
    char rec[kMaxRecord];
    Writer w{rec, rec + sizeof rec};
    w.num(static_cast<uint8_t>(ChangeOp::Reply));
    w.num(uint8_t{0});
    w.text(aor);
    w.num(r.target);
    w.num(r.socket);
    for (std::string_view s : {r.address, r.ok, r.failed}) w.text(s);
    if (!w.ok) return false;
    return ring_.push(rec, static_cast<uint32_t>(w.p - rec));
}

size_t ChangeRing::drain(std::vector<char>& out, uint64_t* through) {
    return ring_.drain(out, through);
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
    if (out.op != ChangeOp::Upsert && out.op != ChangeOp::Expired) return false;
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
