// Proxy-Require (RFC 3261 §20.29, §16.3 step 5): a proxy must reject with 420 Bad Extension a
// request requiring an option it does not support, listing those options in an Unsupported
// header. Kamailio lists only the first one; the RFC asks for all of them.
#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"
#include "core/sip/token_list.h"
#include "modules/sanity/check_steps.h"

namespace osprey::sanity {

namespace {

bool supported(const Options& opt, std::string_view tag) {
    for (std::string_view s : opt.proxyRequire)
        if (sip::lex::equalsNoCase(s, tag)) return true;
    return false;
}

bool alreadyListed(const Verdict& v, std::string_view tag) {
    for (unsigned i = 0; i < v.unsupportedCount; ++i)
        if (sip::lex::equalsNoCase(v.unsupported[i], tag)) return true;
    return false;
}

}  // namespace

bool checkProxyRequire(sip::SipMsg& msg, const Options& opt, Verdict& v) {
    v.unsupportedCount = 0;
    v.unsupportedTotal = 0;
    for (sip::HeaderField* h = sip::findHeader(msg, sip::HeaderKind::ProxyRequire); h != nullptr;
         h = sip::nextHeader(msg, *h)) {
        const sip::TokenList* tags = sip::parseTokenList(msg, *h);
        if (tags == nullptr) return fail(v, kProxyRequire, 400, "Bad Proxy Require Header");
        for (uint32_t i = 0; i < tags->count; ++i) {
            const std::string_view tag = tags->items[i];
            if (supported(opt, tag) || alreadyListed(v, tag)) continue;
            ++v.unsupportedTotal;
            if (v.unsupportedCount < Verdict::kMaxUnsupported)
                v.unsupported[v.unsupportedCount++] = tag;
        }
    }
    if (v.unsupportedTotal == 0) return true;
    return fail(v, kProxyRequire, 420, "Bad Extension");
}

}  // namespace osprey::sanity
