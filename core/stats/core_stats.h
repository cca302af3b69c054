// The core's statistics (Kamailio's names): groups core (messages received, forwarded,
// dropped, malformed), shmem (the shared heap), osprey (this server's own: per-process heap and
// Lua memory, script generation, sends), and tcp (the TCP transport's own counters). The first
// three take the first ids, in the order below, so the core's hot path uses compile-time ids;
// the list of names is core_stats.cpp's declareCoreStats.
#pragma once
#include <cstdint>

#include "core/stats/counter.h"

namespace osprey::sip {
struct SipMsg;
struct ParseError;
}  // namespace osprey::sip

namespace osprey::stats {

// Request methods with their own rcv_requests_<method> counter, in this order.
inline constexpr unsigned kRequestMethods = 15;
// 4xx codes with their own rcv_replies_<code> counter (Kamailio's list).
inline constexpr uint16_t kReplyCodes[] = {400, 401, 402, 403, 404, 405, 406, 407, 408, 409,
                                           410, 411, 413, 414, 415, 420, 480, 481, 482, 483,
                                           484, 485, 486, 487, 488, 489, 491, 493};
inline constexpr unsigned kReplyCodeCount = sizeof kReplyCodes / sizeof kReplyCodes[0];
// Methods with rcv_replies_<class>xx_<method> counters (CSeq method), classes 1..6 each.
inline constexpr unsigned kReplyMethods = 9;

namespace core {
enum : uint16_t {
    kRcvRequests = 1,
    kRcvRequestsMethod,  // kRequestMethods of them: invite cancel ack bye info register ...
    kRcvReplies = kRcvRequestsMethod + kRequestMethods,
    kRcvReplies1xx,
    kRcvReplies18x,
    kRcvReplies2xx,
    kRcvReplies3xx,
    kRcvReplies4xx,
    kRcvRepliesCode,  // kReplyCodeCount of them
    kRcvReplies5xx = kRcvRepliesCode + kReplyCodeCount,
    kRcvReplies6xx,
    kFwdRequests,
    kFwdReplies,
    kDropRequests,
    kDropReplies,
    kErrRequests,
    kErrReplies,
    kBadUrisRcvd,
    kUnsupportedMethods,
    kBadMsgHdr,
    kRcvRepliesMethodClass,  // kReplyMethods * 6 of them
    // shmem (computed when read)
    kShmTotal = kRcvRepliesMethodClass + kReplyMethods * 6,
    kShmUsed,
    kShmRealUsed,
    kShmMaxUsed,
    kShmFree,
    kShmFragments,
    // osprey
    kPkgUsed,
    kPkgRealUsed,
    kLuaMemoryUsed,
    kScriptGeneration,
    kScriptErrors,
    kSentMessages,
    kSendFailures,
    kSendBatches,
    kCoreEnd
};
}  // namespace core

// Handles for the core's counters, usable before and after the table exists.
constexpr Counter coreCounter(uint16_t id) {
    return Counter{id};
}
constexpr Gauge coreGauge(uint16_t id) {
    return Gauge{id};
}

// Declares the core's statistics (first, so their ids are the ones above). The registry calls
// it before any other declaration.
void declareCoreStats();
// The TCP transport's counters (core/net/tcp_stats.h) as the tcp group, read from there when
// asked. Declared once the transport exists (the MasterInit step that opens TCP listeners
// makes them); without TCP listeners there is no tcp group.
void declareTcpStats();

// A request / reply that passed parsing and the basic checks, about to be routed:
// rcv_requests and its method's counter (unsupported_methods for an extension method);
// rcv_replies, its class, 18x, its code, and its class per CSeq method.
void countRequest(const sip::SipMsg& msg) noexcept;
void countReply(sip::SipMsg& msg) noexcept;  // parses CSeq if needed
// A message that failed parsing or the checks: err_requests / err_replies, and bad_URIs_rcvd
// or bad_msg_hdr by what failed.
void countMalformed(bool request, const sip::ParseError& err) noexcept;

// This process's own values (pkg heap, Lua memory) into its row; every process's control
// loop calls it now and then (proc::handleSignals), the master before a dump.
void publishProcessGauges() noexcept;

}  // namespace osprey::stats
