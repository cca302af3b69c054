// W1 sip_mix: the allocations a Kamailio-like router makes per message, in virtual time at
// 4000 msg/s. Per-message pkg blocks die at the end of the message in allocation order
// (free_sip_msg); transactions and registrations live in shm until their timers fire.
// Struct sizes are Kamailio's (docs/alloc-workloads.md, HEAD 38711a3e, x86_64).
#include <memory_resource>
#include <queue>
#include <vector>

#include "test/bench/mem_bench_trace.h"

namespace osprey::membench {

namespace {

constexpr uint32_t kSipMsg = 2024, kHdrField = 64, kViaBody = 240, kToBody = 480, kCseq = 48;
constexpr uint32_t kContactBody = 32, kContact = 112, kLump = 64;
constexpr uint32_t kCell = 9664, kUrecord = 64, kUcontact = 248;
constexpr double kMsgRate = 4000, kWaitTimer = 5;
constexpr uint32_t kAors = 20'000;

enum class MsgClass { Register, Invite, OtherTxn, Stateless };

struct Registration {
    bool active = false;
    uint32_t gen = 0;  // bumped on every REGISTER: older expiry events are stale
    uint32_t n = 0;
    uint32_t ids[10];
    uint32_t callid = 0, userAgent = 0;  // indexes into ids[]
};

struct Transaction {
    uint32_t n = 0;
    uint32_t ids[6];  // cell, clone, up to 3 branches, dst_uri/path
};

// A timer firing: a transaction (reg == false) or a contact expiry.
struct Expiry {
    double time;
    uint64_t seq;  // ties fire in creation order
    uint32_t ref;
    uint32_t gen;
    bool reg;
    bool operator>(const Expiry& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

class SipMix {
public:
    SipMix(Trace& t, std::pmr::memory_resource* mr)
        : b_(t),
          txns_(mr),
          regs_(kAors, mr),
          timers_(std::greater<Expiry>(), Queue(mr)),
          pkg_(mr) {}

    void message(double now) {
        fire(now);
        double u = r_.unit();
        MsgClass cls = u < 0.3   ? MsgClass::Register
                       : u < 0.5 ? MsgClass::Invite
                       : u < 0.8 ? MsgClass::OtherTxn
                                 : MsgClass::Stateless;
        uint32_t msglen = r_.uniform(400, 1800);
        if (cls == MsgClass::Invite) msglen += r_.uniform(200, 1500);  // SDP

        pkg_.clear();
        pkg(kSipMsg);
        uint32_t hdrs = r_.uniform(8, 20), vias = r_.uniform(1, 2);
        for (uint32_t i = 0; i < hdrs; ++i) pkg(kHdrField);
        for (uint32_t i = 0; i < vias; ++i) pkg(kViaBody);
        pkg(kToBody);
        pkg(kToBody);
        pkg(kCseq);
        if (cls == MsgClass::Register || cls == MsgClass::Invite) {
            pkg(kContactBody);
            pkg(kContact);
        }

        if (cls == MsgClass::Invite || cls == MsgClass::OtherTxn)
            transaction(now, cls == MsgClass::Invite, msglen, hdrs * kHdrField + vias * kViaBody);
        if (cls == MsgClass::Register) registration(now);

        for (uint32_t i = 0, n = r_.uniform(0, 3); i < n; ++i) pkg(r_.uniform(16, 128));
        for (uint32_t i = 0, n = r_.uniform(0, 6); i < n; ++i) {
            pkg(kLump);
            pkg(r_.uniform(16, 128));
        }
        if (cls == MsgClass::Stateless) pkg(msglen + r_.uniform(50, 300));  // forward buffer
        for (uint32_t id : pkg_) b_.free(id);
    }

    // Every remaining object, in expiry order.
    void drain() { fire(1e300); }

private:
    using Queue = std::pmr::vector<Expiry>;

    void pkg(uint32_t size) { pkg_.push_back(b_.alloc(size, kPkg)); }

    void transaction(double now, bool invite, uint32_t msglen, uint32_t parsedBytes) {
        Transaction t;
        t.ids[t.n++] = b_.alloc(kCell, kShm);
        t.ids[t.n++] = b_.alloc(kSipMsg + msglen + parsedBytes, kShm);  // sip_msg_shm_clone
        uint32_t branches = r_.chance(0.1) ? r_.uniform(2, 3) : 1;
        for (uint32_t i = 0; i < branches; ++i)
            t.ids[t.n++] = b_.alloc(msglen + r_.uniform(100, 300), kShm);
        if (r_.chance(0.5)) t.ids[t.n++] = b_.alloc(r_.uniform(16, 128), kShm);
        double life = invite ? r_.logUniform(0.1, 27) : r_.logUniform(0.005, 0.5);
        txns_.push_back(t);
        timers_.push(Expiry{now + life + kWaitTimer, seq_++,
                            static_cast<uint32_t>(txns_.size() - 1), 0, false});
    }

    void registration(double now) {
        uint32_t aor = r_.uniform(0, kAors - 1);
        Registration& g = regs_[aor];
        if (!g.active) {
            g.active = true;
            g.n = 0;
            auto dup = [&](uint32_t size) { g.ids[g.n++] = b_.alloc(size, kShm); };
            dup(kUrecord);
            dup(r_.uniform(20, 60));  // aor
            dup(kUcontact);
            dup(r_.uniform(40, 120));                      // contact
            dup(r_.uniform(20, 40));                       // ruid
            if (r_.chance(0.5)) dup(r_.uniform(20, 40));   // received
            if (r_.chance(0.3)) dup(r_.uniform(40, 200));  // path
            if (r_.chance(0.5)) dup(r_.uniform(40, 60));   // instance
            g.callid = g.n;
            dup(r_.uniform(20, 60));
            g.userAgent = g.n;
            dup(r_.uniform(10, 60));
        } else {  // update_ucontact: the changed strings are freed and duplicated again
            b_.free(g.ids[g.callid]);
            g.ids[g.callid] = b_.alloc(r_.uniform(20, 60), kShm);
            b_.free(g.ids[g.userAgent]);
            g.ids[g.userAgent] = b_.alloc(r_.uniform(10, 60), kShm);
        }
        ++g.gen;
        timers_.push(Expiry{now + r_.logUniform(60, 3600), seq_++, aor, g.gen, true});
    }

    void fire(double now) {
        while (!timers_.empty() && timers_.top().time <= now) {
            Expiry e = timers_.top();
            timers_.pop();
            if (!e.reg) {
                const Transaction& t = txns_[e.ref];
                for (uint32_t i = 0; i < t.n; ++i) b_.free(t.ids[i]);
                continue;
            }
            Registration& g = regs_[e.ref];
            if (!g.active || g.gen != e.gen) continue;  // refreshed since
            for (uint32_t i = 0; i < g.n; ++i) b_.free(g.ids[i]);
            g.active = false;
        }
    }

    SplitMix64 r_{kSeed};
    TraceBuilder b_;
    std::pmr::vector<Transaction> txns_;
    std::pmr::vector<Registration> regs_;
    std::priority_queue<Expiry, Queue, std::greater<Expiry>> timers_;
    std::pmr::vector<uint32_t> pkg_;
    uint64_t seq_ = 0;
};

}  // namespace

void generateSipMix(Trace& t, double scale) {
    MmapResource upstream;
    std::pmr::monotonic_buffer_resource mr(1 << 20, &upstream);
    SipMix mix(t, &mr);
    const uint64_t msgs = static_cast<uint64_t>(150'000 * scale + 0.5);
    for (uint64_t i = 0; i < msgs; ++i) mix.message(static_cast<double>(i) / kMsgRate);
    mix.drain();
    t.units = t.allocs;
}

}  // namespace osprey::membench
