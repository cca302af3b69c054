// In-progress request slots for t_precheck_trans.
#include "modules/tm/precheck.h"

#include <signal.h>
#include <unistd.h>

#include <new>

#include "core/hash/fnv1a.h"
#include "core/route/msg_context.h"
#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "mem/shm.h"
#include "modules/tm/match.h"
#include "modules/tm/tm_core.h"

namespace osprey::tm {

namespace {

constexpr unsigned kSlots = 1024;

struct Slot {
    uint64_t key;
    int32_t pid;
};

constexpr unsigned kStripes = 64;

// Plain locks, not mem::LockSet: its cache-line alignment is more than shm blocks promise.
struct Precheck {
    mem::FutexMutex locks[kStripes];
    Slot slots[kSlots];
};

Precheck* g_pre = nullptr;

uint64_t keyOf(const RequestKey& k) {
    // FNV-1a with a field separator; the seed (one digit short of FNV's basis) is usrloc's.
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](std::string_view s) { h = hash::fnv1a64("\xff", hash::fnv1a64(s, h)); };
    mix(k.callId);
    mix(k.branch);
    mix(k.fromTag);
    h ^= (static_cast<uint64_t>(k.cseq) << 8) | k.method;
    return h | 1;  // 0 marks a free slot
}

}  // namespace

bool initPrecheck() {
    void* p = mem::shmAllocZero(sizeof(Precheck));
    if (p == nullptr) return false;
    g_pre = new (p) Precheck();
    return true;
}

int precheckTrans(route::MsgContext& mc) {
    RequestKey k;
    if (g_pre == nullptr || !requestKey(mc.msg, &k)) return -2;
    if (mc.msg.method() == sip::Method::Ack || mc.msg.method() == sip::Method::Cancel) return -1;
    {
        const uint32_t bucket = g_table->bucketOf(k.callId, k.cseq);
        BucketGuard g = g_table->lock(bucket);
        MatchKind how;
        if (matchRequest(g_table->bucket(bucket), k, &how) != nullptr) return -1;
    }
    MsgState* st = msgState(mc, true);
    if (st == nullptr) return -2;
    const uint64_t key = keyOf(k);
    const int32_t self = static_cast<int32_t>(getpid());
    mem::LockGuard g(g_pre->locks[key % kStripes]);
    Slot& s = g_pre->slots[key % kSlots];
    if (s.key == key && s.pid != 0 && s.pid != self && kill(s.pid, 0) == 0) return 1;
    s.key = key;
    s.pid = self;
    st->precheckClaimed = true;
    st->precheckKey = key;
    return -1;
}

void releasePrecheck(uint64_t key) {
    if (g_pre == nullptr) return;
    const int32_t self = static_cast<int32_t>(getpid());
    mem::LockGuard g(g_pre->locks[key % kStripes]);
    Slot& s = g_pre->slots[key % kSlots];
    if (s.key == key && s.pid == self) s = Slot{0, 0};
}

}  // namespace osprey::tm
