// One transaction in shm (docs/design.md §6): the received request, copied once as one block right
// after the Cell header, the server side's state (last reply sent upstream, where replies
// go) and up to kMaxBranches client branches, each one shm block holding its state and the
// request as sent on that branch.
//
// Lifetime: `refs` counts the table (while linked), every armed timer and every process that
// works on the transaction (a message context, a timer handler). The last unref frees it.
// Mutable state is guarded by `lock`; the key fields (the request copy and its offsets) never
// change after creation, so matching reads them under the bucket lock alone.
#pragma once
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <string_view>

#include "core/dns/dns_cache.h"
#include "core/net/endpoint.h"
#include "core/sip/method.h"
#include "core/timer/timer_wheel.h"
#include "mem/lock/futex_mutex.h"

namespace osprey::tm {

inline constexpr unsigned kMaxBranches = 12;
inline constexpr size_t kMaxTagLen = 64;

// A piece of a block (offset, length), so views survive being copied between processes.
struct Piece {
    uint16_t off = 0;
    uint16_t len = 0;
};

struct Cell;

struct Branch {
    timer::TimerNode retr;  // A / E: retransmission of the request (UDP)
    timer::TimerNode fr;    // B / F (fr_timer), C (fr_inv_timer once a provisional came)
    timer::TimerNode cancelTimer;  // our CANCEL: its E (UDP) and F, then the branch gives up
    Cell* cell = nullptr;
    net::Destination dest;
    iovec iov{};  // the request as sent: a deferred send keeps a pointer to it until the flush
    char* reply = nullptr;  // its final non-2xx reply, our Via removed (shm), for §16.7
    uint32_t replyLen = 0;
    uint32_t reqLen = 0;  // the request as sent follows this header
    uint32_t retrInterval = 0;
    uint32_t cancelInterval = 0;  // timer E of the CANCEL; 0: no more retransmissions
    uint32_t cancelLeft = 0;      // ms until its timer F (64*T1 after it was sent)
    uint16_t status = 0;  // last status received; 408 for a local timeout
    uint8_t index = 0;
    // The branch's flags when it was sent (KSR.setbflag; a contact's saved flags): onreply and
    // failure routes see them as branch 0's, as in Kamailio.
    uint32_t bflags = 0;
    bool final = false;
    bool cancelPending = false;  // CANCEL to send when the first provisional arrives
    bool cancelSent = false;
    bool cancelAnswered = false;  // a response to our CANCEL came
    bool localTimeout = false;
    // DNS (dns_branch.cpp): a branch to a name not resolved yet waits on dnsWait with the copy
    // built and dest.proto/socket chosen; dest.addr is set when the answer comes. `targets`
    // (shm, use_dns_failover) keeps the resolution's targets for the next branch to try.
    bool resolving = false;
    uint8_t targetIdx = 0;   // the target of `targets` this branch went to
    uint16_t hopUriLen = 0;  // the next-hop URI, stored after the request while resolving
    dns::Waiter dnsWait;
    dns::Answer* targets = nullptr;

    char* data() { return reinterpret_cast<char*>(this + 1); }
    std::string_view request() { return {data(), reqLen}; }
    std::string_view hopUri() { return {data() + reqLen, hopUriLen}; }
};

enum Flags : uint16_t {
    kCanceled = 1,      // a CANCEL matched (t_is_canceled)
    kDeleted = 2,       // off the table: nothing may arm timers any more
    kInFailure = 4,     // a failure route is running
    kUasFinal = 8,      // a final reply went upstream
    kAckSeen = 16,      // the ACK to a negative final arrived
    kDamaged = 32,      // a process died holding its lock; ended by the next taker (cell_lock.cpp)
    kTxReleased = 64,   // the modules' transaction data was released (final reply upstream)
};

struct Cell {
    Cell* next = nullptr;  // bucket chain
    Cell* prev = nullptr;
    std::atomic<int32_t> refs{0};
    mem::FutexMutex lock;
    uint32_t bucket = 0;
    uint32_t label = 0;
    bool linked = false;  // guarded by the bucket lock (the rest by `lock`)

    timer::TimerNode wait;     // wt_timer / H: delete the transaction
    timer::TimerNode uasRetr;  // G: retransmit a negative final reply to an INVITE (UDP)

    net::RecvInfo recv;           // where the request came from
    net::Destination replyDest;   // where replies go (RFC 3261 §18.2.2)
    char* uasReply = nullptr;     // last reply sent upstream (shm), for retransmissions
    uint32_t uasReplyLen = 0;
    uint32_t uasRetrInterval = 0;
    uint32_t frTimeout = 0;       // t_set_fr values for this transaction (0: the module's)
    uint32_t frInvTimeout = 0;
    uint32_t cseq = 0;
    uint64_t msgFlags = 0;        // KSR.setflag flags, from t_relay / the failure route (acc)
    uint16_t uasStatus = 0;       // last status sent upstream
    uint16_t flags = 0;
    sip::Method method = sip::Method::Other;
    uint8_t nBranches = 0;
    uint8_t onFailure = 0;  // route ids (route_names.h), 0 = none
    uint8_t onBranch = 0;
    uint8_t onReply = 0;
    uint8_t toTag2xxLen = 0;
    uint16_t sentByPort = 0;

    // Offsets into the request copy.
    Piece ruri, callId, fromTag, toTag, branch, sentBy, viaText, methodText;
    char toTag2xx[kMaxTagLen];  // the To tag of the 2xx sent upstream (end-to-end ACK match)

    Branch* branches[kMaxBranches] = {};
    uint32_t reqLen = 0;
    // Modules' per-transaction data (route::MsgExtension::txSave), after the request copy at
    // an 8-byte aligned offset: records of TxRecord + bytes, each padded to 8.
    uint32_t txOff = 0;
    uint32_t txLen = 0;

    bool isInvite() const { return method == sip::Method::Invite; }
    bool has(uint16_t f) const { return (flags & f) != 0; }
    char* data() { return reinterpret_cast<char*>(this + 1); }
    std::string_view request() { return {data(), reqLen}; }
    std::string_view piece(Piece p) { return {data() + p.off, p.len}; }
};

struct TxRecord {
    uint32_t ext = 0;  // index into route::msgExtensions()
    uint32_t len = 0;  // bytes that follow
};

}  // namespace osprey::tm
