// sl: stateless replies (Kamailio's sl module). KSR.sl.sl_send_reply(code, reason) and
// KSR.sl.send_reply (the same until tm is loaded: then a request with a transaction would be
// answered through it), KSR.sl.sl_reply_error() for the last error recorded on the message.
// Replies are built by the core (route/send_reply.h): To tag added for non-100, Via (with
// received/rport), From, To, Call-ID and CSeq copied; sent where RFC 3261 §18.2.2 says.
// Statistics (Kamailio's sl names): <code>_replies for the codes Kamailio lists, <class>xx for
// the other codes of a class, xxx_replies outside 100..699, sent_replies, sent_err_replies
// (sl_reply_error), failures (not sent), received_ACKs (declared; Osprey's sl does not filter
// ACKs to its replies, so it stays 0).
#include <string_view>

#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/route/msg_context.h"
#include "core/route/send_reply.h"
#include "core/stats/registry.h"

namespace {

using namespace osprey;

// Kamailio's per-code sl statistics, in its order; a code not listed counts in its class.
constexpr int kCodes[] = {200, 202, 300, 301, 302, 400, 401, 403, 404, 407, 408, 483, 500};
struct SlStats {
    stats::Counter code[sizeof kCodes / sizeof kCodes[0]];
    stats::Counter cls[7];  // [1..6]: <n>xx_replies
    stats::Counter xxx, sent, sentErr, failures, receivedAcks;
};
SlStats g_st;

using stats::counterDef;
const stats::Def kStats[] = {
    counterDef("1xx_replies", &g_st.cls[1], "Stateless 1xx replies sent"),
    counterDef("200_replies", &g_st.code[0], "Stateless 200 replies sent"),
    counterDef("202_replies", &g_st.code[1], "Stateless 202 replies sent"),
    counterDef("2xx_replies", &g_st.cls[2], "Stateless 2xx replies sent (not 200, 202)"),
    counterDef("300_replies", &g_st.code[2], "Stateless 300 replies sent"),
    counterDef("301_replies", &g_st.code[3], "Stateless 301 replies sent"),
    counterDef("302_replies", &g_st.code[4], "Stateless 302 replies sent"),
    counterDef("3xx_replies", &g_st.cls[3], "Stateless 3xx replies sent (not 300..302)"),
    counterDef("400_replies", &g_st.code[5], "Stateless 400 replies sent"),
    counterDef("401_replies", &g_st.code[6], "Stateless 401 replies sent"),
    counterDef("403_replies", &g_st.code[7], "Stateless 403 replies sent"),
    counterDef("404_replies", &g_st.code[8], "Stateless 404 replies sent"),
    counterDef("407_replies", &g_st.code[9], "Stateless 407 replies sent"),
    counterDef("408_replies", &g_st.code[10], "Stateless 408 replies sent"),
    counterDef("483_replies", &g_st.code[11], "Stateless 483 replies sent"),
    counterDef("4xx_replies", &g_st.cls[4], "Stateless 4xx replies sent (others)"),
    counterDef("500_replies", &g_st.code[12], "Stateless 500 replies sent"),
    counterDef("5xx_replies", &g_st.cls[5], "Stateless 5xx replies sent (not 500)"),
    counterDef("6xx_replies", &g_st.cls[6], "Stateless 6xx replies sent"),
    counterDef("xxx_replies", &g_st.xxx, "Stateless replies sent with a code outside 100..699"),
    counterDef("sent_replies", &g_st.sent, "Stateless replies sent"),
    counterDef("sent_err_replies", &g_st.sentErr, "Error replies sent by sl_reply_error"),
    counterDef("failures", &g_st.failures, "Stateless replies that could not be sent"),
    counterDef("received_ACKs", &g_st.receivedAcks, "ACKs to stateless replies (not counted)"),
};

bool count(bool sent, int code) {
    if (!sent) {
        stats::inc(g_st.failures);
        return false;
    }
    stats::inc(g_st.sent);
    for (size_t i = 0; i < sizeof kCodes / sizeof kCodes[0]; ++i) {
        if (kCodes[i] == code) {
            stats::inc(g_st.code[i]);
            return true;
        }
    }
    stats::inc(code >= 100 && code < 700 ? g_st.cls[code / 100] : g_st.xxx);
    return true;
}

int slSendReply(lua::Ctx& ctx, int code, std::string_view reason) noexcept {
    if (ctx.route == nullptr) return -1;
    return count(route::sendReply(*ctx.route, code, reason), code) ? 1 : -1;
}

int slReplyError(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return -1;
    const bool already = ctx.route->replied;
    if (!route::sendErrorReply(*ctx.route)) return count(false, 0) ? 1 : -1;
    if (!already) {
        count(true, ctx.route->errorStatus);
        stats::inc(g_st.sentErr);
    }
    return 1;
}

bool modInit() {
    return stats::declareGroup("sl", kStats);
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&slSendReply>("sl_send_reply"),
    lua::fn<&slSendReply>("send_reply"),
    lua::fn<&slReplyError>("sl_reply_error"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "sl",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
    .init = &modInit,
};
