// The core's statistics: their names (Kamailio's, from its core, shmem and tcp groups) in the
// order of core_stats.h's ids, and the counting done on the message path.
#include "core/stats/core_stats.h"

#include <cstdio>

#include "core/log/log.h"
#include "core/lua/engine.h"
#include "core/lua/process_engine.h"
#include "core/net/tcp_stats.h"
#include "core/sip/cseq.h"
#include "core/sip/msg.h"
#include "core/stats/read.h"
#include "core/stats/registry.h"
#include "mem/pkg.h"
#include "mem/shm.h"

namespace osprey::stats {

namespace {

using sip::Method;

// rcv_requests_<name>, in id order; the Method each stands for (Other: "KDMQ" by text).
struct RequestMethod {
    const char* name;
    Method method;
};
constexpr RequestMethod kRequestMethodList[kRequestMethods] = {
    {"invite", Method::Invite},
    {"cancel", Method::Cancel},
    {"ack", Method::Ack},
    {"bye", Method::Bye},
    {"info", Method::Info},
    {"register", Method::Register},
    {"subscribe", Method::Subscribe},
    {"notify", Method::Notify},
    {"message", Method::Message},
    {"options", Method::Options},
    {"prack", Method::Prack},
    {"update", Method::Update},
    {"refer", Method::Refer},
    {"publish", Method::Publish},
    {"kdmq", Method::Other},
};
constexpr unsigned kKdmqIndex = kRequestMethods - 1;

// rcv_replies_<class>xx_<name> (Kamailio spells REGISTER "reg" here), in id order.
constexpr RequestMethod kReplyMethodList[kReplyMethods] = {
    {"invite", Method::Invite}, {"cancel", Method::Cancel},   {"bye", Method::Bye},
    {"reg", Method::Register},  {"message", Method::Message}, {"prack", Method::Prack},
    {"update", Method::Update}, {"refer", Method::Refer},     {"options", Method::Options},
};

// Index into the per-method lists by sip::Method; -1 when the method has no counter.
template <size_t N>
constexpr auto indexByMethod(const RequestMethod (&list)[N]) {
    struct Table {
        int8_t at[static_cast<unsigned>(Method::Publish) + 1];
    } t{};
    for (auto& v : t.at) v = -1;
    for (size_t i = 0; i < N; ++i) {
        if (list[i].method != Method::Other) {
            t.at[static_cast<unsigned>(list[i].method)] = static_cast<int8_t>(i);
        }
    }
    return t;
}
constexpr auto kRequestIndex = indexByMethod(kRequestMethodList);
constexpr auto kReplyIndex = indexByMethod(kReplyMethodList);

// rcv_replies_<code> index by code - 400, -1 for codes without a counter.
constexpr auto kCodeIndex = [] {
    struct Table {
        int8_t at[100];
    } t{};
    for (auto& v : t.at) v = -1;
    for (unsigned i = 0; i < kReplyCodeCount; ++i)
        t.at[kReplyCodes[i] - 400] = static_cast<int8_t>(i);
    return t;
}();

int64_t shmValue(uintptr_t which) {
    const mem::HeapStats st = mem::shmStats();
    switch (which) {
        case core::kShmTotal:
            return static_cast<int64_t>(st.total);
        case core::kShmUsed:
            return static_cast<int64_t>(st.used);
        case core::kShmRealUsed:
            return static_cast<int64_t>(st.realUsed);
        case core::kShmMaxUsed:
            return static_cast<int64_t>(st.maxRealUsed);
        case core::kShmFree:
            return static_cast<int64_t>(st.freeBytes);
        default:
            return static_cast<int64_t>(st.freeFragments);
    }
}

// One of the TCP transport's values, by its index in readTcpStats' list.
int64_t tcpValue(uintptr_t index) {
    net::TcpStatValue v[net::kTcpStatCount];
    const size_t n = net::readTcpStats(v, net::kTcpStatCount);
    return index < n ? static_cast<int64_t>(v[index].value) : 0;
}

void expect(uint16_t got, uint16_t want) {
    if (got != want) LM_ERR("core statistic declared with id %u instead of %u", got, want);
}

void counter(const char* group, const char* name, uint16_t id, const char* help) {
    expect(declareCounter(group, name, help).id, id);
}

void gauge(const char* group, const char* name, uint16_t id, const char* help, Kind kind) {
    expect(declareGauge(group, name, help, kind).id, id);
}

}  // namespace

void declareCoreStats() {
    using namespace core;
    char name[64];
    counter("core", "rcv_requests", kRcvRequests, "Requests received (parsed and checked)");
    for (unsigned i = 0; i < kRequestMethods; ++i) {
        snprintf(name, sizeof name, "rcv_requests_%s", kRequestMethodList[i].name);
        counter("core", name, static_cast<uint16_t>(kRcvRequestsMethod + i),
                "Requests received, by method");
    }
    counter("core", "rcv_replies", kRcvReplies, "Replies received (parsed and checked)");
    counter("core", "rcv_replies_1xx", kRcvReplies1xx, "Replies received, by class");
    counter("core", "rcv_replies_18x", kRcvReplies18x, "Replies received with 180..189");
    counter("core", "rcv_replies_2xx", kRcvReplies2xx, "Replies received, by class");
    counter("core", "rcv_replies_3xx", kRcvReplies3xx, "Replies received, by class");
    counter("core", "rcv_replies_4xx", kRcvReplies4xx, "Replies received, by class");
    for (unsigned i = 0; i < kReplyCodeCount; ++i) {
        snprintf(name, sizeof name, "rcv_replies_%u", kReplyCodes[i]);
        counter("core", name, static_cast<uint16_t>(kRcvRepliesCode + i),
                "Replies received, by code");
    }
    counter("core", "rcv_replies_5xx", kRcvReplies5xx, "Replies received, by class");
    counter("core", "rcv_replies_6xx", kRcvReplies6xx, "Replies received, by class");
    counter("core", "fwd_requests", kFwdRequests, "Requests forwarded statelessly");
    counter("core", "fwd_replies", kFwdReplies, "Replies forwarded statelessly");
    counter("core", "drop_requests", kDropRequests,
            "Requests dropped (by the script, a script error, a failed stateless forward)");
    counter("core", "drop_replies", kDropReplies,
            "Replies dropped (by the reply route, a script error, a failed stateless forward)");
    counter("core", "err_requests", kErrRequests, "Requests that failed parsing or the checks");
    counter("core", "err_replies", kErrReplies, "Replies that failed parsing or the checks");
    counter("core", "bad_URIs_rcvd", kBadUrisRcvd, "Messages with a URI that does not parse");
    counter("core", "unsupported_methods", kUnsupportedMethods,
            "Requests received with an extension method");
    counter("core", "bad_msg_hdr", kBadMsgHdr, "Messages with a header that does not parse");
    for (unsigned m = 0; m < kReplyMethods; ++m) {
        for (unsigned cls = 1; cls <= 6; ++cls) {
            snprintf(name, sizeof name, "rcv_replies_%uxx_%s", cls, kReplyMethodList[m].name);
            counter("core", name, static_cast<uint16_t>(kRcvRepliesMethodClass + m * 6 + cls - 1),
                    "Replies received, by class and CSeq method");
        }
    }

    struct Func {
        const char* name;
        uint16_t id;
        const char* help;
    };
    constexpr Func kShm[] = {
        {"total_size", kShmTotal, "Shared memory size in bytes"},
        {"used_size", kShmUsed, "Shared memory handed out, in bytes"},
        {"real_used_size", kShmRealUsed, "Shared memory used including allocator overhead"},
        {"max_used_size", kShmMaxUsed, "Most shared memory ever used (real), in bytes"},
        {"free_size", kShmFree, "Shared memory free, in bytes"},
        {"fragments", kShmFragments, "Free fragments of the shared heap"},
    };
    for (const Func& f : kShm)
        expect(declareFunc("shmem", f.name, f.help, &shmValue, f.id).id, f.id);

    gauge("osprey", "pkg_used_size", kPkgUsed, "Private heap handed out, per process",
          Kind::PerProcess);
    gauge("osprey", "pkg_real_used_size", kPkgRealUsed,
          "Private heap used including allocator overhead, per process", Kind::PerProcess);
    gauge("osprey", "lua_memory_used", kLuaMemoryUsed, "Bytes held by the Lua state, per process",
          Kind::PerProcess);
    gauge("osprey", "script_generation", kScriptGeneration,
          "Generation of the routing script loaded (0 = the one loaded at start)", Kind::Level);
    counter("osprey", "script_errors", kScriptErrors, "Lua errors in request and reply routes");
    counter("osprey", "sent_messages", kSentMessages, "SIP messages handed to the kernel");
    counter("osprey", "send_failures", kSendFailures, "SIP messages that could not be sent");
    counter("osprey", "send_batches", kSendBatches, "sendmmsg calls (batched UDP sends)");
}

void declareTcpStats() {
    net::TcpStatValue v[net::kTcpStatCount];
    const size_t n = net::readTcpStats(v, net::kTcpStatCount);
    for (size_t i = 0; i < n; ++i) {
        declareFunc("tcp", v[i].name, "TCP transport (core/net/tcp_stats.h)", &tcpValue, i);
    }
}

void countRequest(const sip::SipMsg& msg) noexcept {
    inc(coreCounter(core::kRcvRequests));
    const Method m = msg.method();
    int idx = m == Method::Other ? -1 : kRequestIndex.at[static_cast<unsigned>(m)];
    if (m == Method::Other) {
        if (msg.start.methodText != "KDMQ") {
            inc(coreCounter(core::kUnsupportedMethods));
            return;
        }
        idx = kKdmqIndex;
    }
    if (idx >= 0) inc(coreCounter(static_cast<uint16_t>(core::kRcvRequestsMethod + idx)));
}

void countReply(sip::SipMsg& msg) noexcept {
    inc(coreCounter(core::kRcvReplies));
    const unsigned code = msg.start.status;
    const unsigned cls = code / 100;
    switch (cls) {
        case 1:
            inc(coreCounter(core::kRcvReplies1xx));
            if (code >= 180 && code < 190) inc(coreCounter(core::kRcvReplies18x));
            break;
        case 2:
            inc(coreCounter(core::kRcvReplies2xx));
            break;
        case 3:
            inc(coreCounter(core::kRcvReplies3xx));
            break;
        case 4:
            inc(coreCounter(core::kRcvReplies4xx));
            if (const int i = kCodeIndex.at[code - 400]; i >= 0) {
                inc(coreCounter(static_cast<uint16_t>(core::kRcvRepliesCode + i)));
            }
            break;
        case 5:
            inc(coreCounter(core::kRcvReplies5xx));
            break;
        case 6:
            inc(coreCounter(core::kRcvReplies6xx));
            break;
        default:
            return;
    }
    const sip::CSeqBody* cseq = sip::getCSeq(msg);
    if (cseq == nullptr || cseq->method == Method::Other) return;
    if (const int m = kReplyIndex.at[static_cast<unsigned>(cseq->method)]; m >= 0) {
        inc(coreCounter(static_cast<uint16_t>(core::kRcvRepliesMethodClass + m * 6 + cls - 1)));
    }
}

void countMalformed(bool request, const sip::ParseError& err) noexcept {
    inc(coreCounter(request ? core::kErrRequests : core::kErrReplies));
    using sip::ParseErrc;
    if (err.code == ParseErrc::BadRequestUri || err.code == ParseErrc::UnsupportedUriScheme ||
        err.code == ParseErrc::BadUri) {
        inc(coreCounter(core::kBadUrisRcvd));
    } else if (!err.header.empty()) {
        inc(coreCounter(core::kBadMsgHdr));
    }
}

void publishProcessGauges() noexcept {
    const mem::HeapStats pkg = mem::pkgStats();
    setOwn(coreGauge(core::kPkgUsed), static_cast<int64_t>(pkg.used));
    setOwn(coreGauge(core::kPkgRealUsed), static_cast<int64_t>(pkg.realUsed));
    const lua::Engine* engine = lua::processEngine();
    setOwn(coreGauge(core::kLuaMemoryUsed),
           engine != nullptr ? static_cast<int64_t>(engine->memory().used) : 0);
}

}  // namespace osprey::stats
