// maxfwd: Max-Forwards processing (Kamailio's maxfwd module, RFC 3261 §16.6 step 3).
// KSR.maxfwd.process_maxfwd(limit):
//    2  Max-Forwards was missing: "Max-Forwards: <limit>" added to the forwarded request
//    1  present and > 0: decremented by one; a value above max_limit is first lowered to it
//   -1  present and 0: the caller replies 483 Too Many Hops
//   -2  unparseable value, a bad limit, or the edit failed
// Parameter max_limit (default 70, 0..255): the largest value a forwarded request carries.
#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/route/msg_context.h"
#include "core/sip/builder_via.h"
#include "core/sip/msg.h"
#include "core/sip/number_header.h"

namespace {

using namespace osprey;

constexpr int kDefaultMaxLimit = 70;  // Kamailio's default
int g_maxLimit;                       // max_limit: the loader writes it (kParams) before init

constexpr int kMaxForwardsMax = 255;  // RFC 3261 §20.22 uses 0..255 in practice (Kamailio too)

std::string_view number(int v, char* buf) {
    return std::string_view(buf, sip::formatDecimal(static_cast<uint64_t>(v), buf));
}

int processMaxfwd(lua::Ctx& ctx, int limit) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest()) return -2;
    if (limit < 0 || limit > kMaxForwardsMax) {
        LM_ERR("maxfwd: limit %d out of range 0..%d", limit, kMaxForwardsMax);
        return -2;
    }
    sip::SipMsg& msg = mc->msg;
    char buf[24];
    sip::HeaderField* h = sip::findHeader(msg, sip::HeaderKind::MaxForwards);
    if (h == nullptr) {
        if (msg.error) return -2;  // the scan failed before the end of the headers
        return mc->builder().appendHeader("Max-Forwards", number(limit, buf)) ==
                       sip::BuildError::Ok
                   ? 2
                   : -2;
    }
    const sip::NumberBody* mf = sip::parseNumberHeader(msg, *h);
    if (mf == nullptr || mf->value > static_cast<uint32_t>(kMaxForwardsMax)) return -2;
    if (mf->value == 0) return -1;
    int value = static_cast<int>(mf->value);
    if (value > g_maxLimit) value = g_maxLimit + 1;  // becomes max_limit once decremented
    return mc->builder().replaceHeaderValue(*h, number(value - 1, buf)) ==
                   sip::BuildError::Ok
               ? 1
               : -2;
}

constexpr module::ParamSpec kParams[] = {
    module::intParam("max_limit", &g_maxLimit, kDefaultMaxLimit, 0, kMaxForwardsMax,
                     "largest Max-Forwards value a forwarded request carries"),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&processMaxfwd>("process_maxfwd"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "maxfwd",
    .version = OSPREY_VERSION,
    .params = kParams,
    .functions = kFunctions,
};
