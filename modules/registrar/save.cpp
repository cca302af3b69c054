// REGISTER processing. The steps follow RFC 3261 §10.3; failures reply the way Kamailio's
// registrar does (status, reason, and a P-Registrar-Error header naming the problem) so
// existing monitoring keeps working.
#include "modules/registrar/save.h"

#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/log/log.h"
#include "core/module/module_set.h"
#include "core/net/listen_socket.h"
#include "core/route/msg_context.h"
#include "core/route/send_reply.h"
#include "core/sip/contact.h"
#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/number_header.h"
#include "core/sip/reply.h"
#include "modules/nathelper/api.h"
#include "modules/registrar/aor.h"
#include "modules/registrar/registrar_state.h"
#include "modules/usrloc/api.h"

namespace osprey::registrar {

namespace {

constexpr size_t kMaxContactsPerRequest = 32;

// A text buffer for reply headers; overflow is remembered, never written past.
struct HeaderBuf {
    char data[8192];
    size_t len = 0;
    bool overflow = false;

    void add(std::string_view s) {
        if (s.empty()) return;  // may have no data pointer
        if (overflow || sizeof data - len < s.size()) {
            overflow = true;
            return;
        }
        std::memcpy(data + len, s.data(), s.size());
        len += s.size();
    }
    void addNum(long long v) {
        char tmp[24];
        const int n = snprintf(tmp, sizeof tmp, "%lld", v);
        add({tmp, static_cast<size_t>(n)});
    }
    std::string_view view() const { return {data, len}; }
};

struct Failure {
    int status;
    const char* reason;
    const char* info;  // P-Registrar-Error
};

int fail(route::MsgContext& mc, int flags, const Failure& f, std::string_view extra = {}) {
    mc.setError(f.status, f.reason);
    if (flags & kSaveNoReply) return -1;
    HeaderBuf h;
    h.add("P-Registrar-Error: ");
    h.add(f.info);
    h.add("\r\n");
    h.add(extra);
    route::sendReply(mc, f.status, f.reason, h.view());
    return -1;
}

constexpr Failure kParse{400, "Bad Request", "Message parse error"};
constexpr Failure kToUser{400, "Bad Request", "No username in To URI"};
constexpr Failure kAorLen{500, "Server Internal Error", "Address Of Record too long"};
constexpr Failure kCallId{400, "Bad Request", "Call-ID header not found"};
constexpr Failure kCSeq{400, "Bad Request", "CSeq header not found"};
constexpr Failure kExpiresParse{400, "Bad Request", "Expires parse error"};
constexpr Failure kContactParse{400, "Bad Request", "Contact parse error"};
constexpr Failure kStarExpires{400, "Bad Request", "* used in contact and expires is not zero"};
constexpr Failure kStarContact{400, "Bad Request", "* used in contact and more than 1 contact"};
constexpr Failure kContactLen{400, "Bad Request", "Contact/received too long"};
constexpr Failure kCallIdLen{400, "Bad Request", "Callid too long"};
constexpr Failure kPathLen{400, "Bad Request", "Path parse error"};
constexpr Failure kInvalidCSeq{400, "Bad Request", "Invalid CSeq number"};
constexpr Failure kTooMany{503, "Service Unavailable", "Too many registered contacts"};
constexpr Failure kNoTable{500, "Server Internal Error", "usrloc_record_get failed"};
constexpr Failure kNoMemory{500, "Server Internal Error", "usrloc_contact_insert failed"};
// db_mode 1: the change is in memory but its commit was not confirmed (usrloc logged why).
constexpr Failure kNotDurable{500, "Server Internal Error", "Database write failed"};
// usrloc's redis store is unreachable and its redis_down_policy is "reject".
constexpr Failure kUnavailable{503, "Service Unavailable", "Location store unavailable"};

// Formats one binding for the 200 OK (RFC 3261 §10.3 step 8: every current binding with its
// remaining expires; RFC 5626 §6: instance and reg-id echoed).
struct ReplyContacts {
    HeaderBuf buf;
    int64_t now = 0;

    static void add(void* self, const usrloc::ContactData& c) {
        auto* r = static_cast<ReplyContacts*>(self);
        HeaderBuf& b = r->buf;
        b.add("Contact: <");
        b.add(c.uri);
        b.add(">;expires=");
        b.addNum(c.expires - r->now > 0 ? c.expires - r->now : 1);
        if (c.q >= 0) {
            char q[16];
            const int n = c.q == 1000 ? snprintf(q, sizeof q, ";q=1")
                                      : snprintf(q, sizeof q, ";q=0.%03d", c.q);
            std::string_view qs(q, static_cast<size_t>(n));
            while (qs.size() > 6 && qs.back() == '0') qs.remove_suffix(1);  // q=0.5, not 0.500
            b.add(qs);
        }
        if (!c.instance.empty()) {
            b.add(";+sip.instance=");
            b.add(c.instance);
        }
        if (c.regId != 0) {
            b.add(";reg-id=");
            b.addNum(c.regId);
        }
        b.add("\r\n");
    }
};

// db_mode 1 over UDP: instead of waiting for the commit, hand the 200 OK (and the 500 to send
// should the write fail) to usrloc, which sends one or the other after the commit holding the
// change (group commit; modules/usrloc/reply_sender.h). False when that is not possible: the
// caller waits and replies itself.
bool answerAfterCommit(route::MsgContext& mc, const usrloc::Api& api, const usrloc::WriteTicket& t,
                       std::string_view aor, std::string_view okHeaders) {
    const net::Destination dest = route::replyDestination(mc);
    const int socket = net::chooseSocket(net::Proto::Udp, dest.addr.family(), dest.socket);
    if (socket < 0) return false;
    sip::ReplyOptions opt;
    opt.srcIp = mc.srcIp();
    opt.srcPort = mc.recv.src.port();
    opt.extraHeaders = okHeaders;
    sip::OutSpans out;
    static char ok[12288];  // this process's; copied into the ring before the next message
    static char failed[1024];
    if (sip::buildReply(mc.msg, 200, "OK", opt, out) != sip::BuildError::Ok) return false;
    const size_t okLen = sip::flattenSpans(out, ok, sizeof ok);
    opt.extraHeaders = "P-Registrar-Error: Database write failed\r\n";
    if (okLen == 0 ||
        sip::buildReply(mc.msg, 500, "Server Internal Error", opt, out) != sip::BuildError::Ok)
        return false;
    const size_t failedLen = sip::flattenSpans(out, failed, sizeof failed);
    if (failedLen == 0) return false;
    const std::string_view address(reinterpret_cast<const char*>(&dest.addr.u), dest.addr.len);
    if (!api.replyWhenWritten(t, aor, socket, address, {ok, okLen}, {failed, failedLen}))
        return false;
    mc.replied = true;
    return true;
}

// What fix_nated_register() recorded for this REGISTER (empty without nathelper).
std::string_view natReceived(route::MsgContext& mc) {
    static const nathelper::Api* nh =
        module::loadedModules().api<nathelper::Api>("nathelper");  // fixed before fork
    return nh != nullptr ? nh->registerReceived(mc) : std::string_view();
}

void addDate(HeaderBuf& h) {
    const time_t t = time(nullptr);
    tm g;
    gmtime_r(&t, &g);
    static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char d[64];
    const int n = snprintf(d, sizeof d, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                           kDays[g.tm_wday % 7], g.tm_mday, kMonths[g.tm_mon % 12],
                           g.tm_year + 1900, g.tm_hour, g.tm_min, g.tm_sec);
    h.add({d, static_cast<size_t>(n)});
}

}  // namespace

int save(route::MsgContext& mc, std::string_view tableName, int flags) noexcept {
    sip::SipMsg& msg = mc.msg;
    const usrloc::Api* api = ul();
    if (!msg.isRequest() || msg.method() != sip::Method::Register) {
        LM_ERR("registrar: save() called for a request that is not a REGISTER");
        mc.setError(500, "Server Internal Error");
        return -1;
    }
    usrloc::Table* table = api != nullptr ? api->table(tableName) : nullptr;
    if (table == nullptr) {
        LM_ERR("registrar: no usrloc table '%.*s' (add it to usrloc's preload)",
               static_cast<int>(tableName.size()), tableName.data());
        return fail(mc, flags, kNoTable);
    }

    // Step 5: the AOR from the To URI.
    const sip::FromToBody* to = sip::getTo(msg);
    if (to == nullptr) return fail(mc, flags, kParse);
    sip::SipUri toUri;
    if (sip::parseUri(to->addr.uriText, toUri) != sip::UriError::Ok) return fail(mc, flags, kParse);
    AorBuf aor;
    const bool useDomain = api->useDomain();
    if (!makeAor(toUri, useDomain, aor)) {
        return fail(mc, flags, toUri.user.empty() ? kToUser : kAorLen);
    }

    const sip::HeaderField* cid = sip::findHeader(msg, sip::HeaderKind::CallId);
    if (cid == nullptr || cid->value.empty()) return fail(mc, flags, kCallId);
    if (cid->value.size() > usrloc::kMaxCallIdLen) return fail(mc, flags, kCallIdLen);
    const sip::CSeqBody* cseq = sip::getCSeq(msg);
    if (cseq == nullptr) return fail(mc, flags, kCSeq);

    const sip::NumberBody* expHdr = nullptr;
    if (sip::findHeader(msg, sip::HeaderKind::Expires) != nullptr) {
        expHdr = sip::getExpires(msg);
        if (expHdr == nullptr) return fail(mc, flags, kExpiresParse);
    }

    // RFC 3327 §5.3: the Path vector is stored with the binding and echoed in the 200 OK.
    char pathBuf[usrloc::kMaxPathLen];
    size_t pathLen = 0;
    for (sip::HeaderField* h = sip::findHeader(msg, sip::HeaderKind::Path); h != nullptr;
         h = sip::nextHeader(msg, *h)) {
        const size_t need = h->value.size() + (pathLen ? 2 : 0);
        if (pathLen + need > sizeof pathBuf) return fail(mc, flags, kPathLen);
        if (pathLen) {
            std::memcpy(pathBuf + pathLen, ", ", 2);
            pathLen += 2;
        }
        std::memcpy(pathBuf + pathLen, h->value.data(), h->value.size());
        pathLen += h->value.size();
    }
    const std::string_view path(pathBuf, pathLen);

    // Kamailio's registrar saves `received` only when fix_nated_register() asked for it (the
    // binding is behind a NAT): lookup then sends to that address instead of the Contact's.
    const std::string_view received = natReceived(mc);
    std::string_view socket;
    if (const net::ListenSocket* ls = net::listenSocket(mc.recv.socket)) socket = ls->name;
    if (socket.size() > usrloc::kMaxSocketLen) socket = {};

    std::string_view userAgent;
    if (const sip::HeaderField* ua = sip::findHeader(msg, sip::HeaderKind::UserAgent))
        userAgent = ua->value.substr(0, usrloc::kMaxUserAgentLen);

    // Step 6: the contacts; "*" only alone and with Expires: 0 (§10.2.2).
    usrloc::ContactData updates[kMaxContactsPerRequest];
    size_t n = 0;
    bool star = false;
    size_t values = 0;
    const int64_t now = usrloc::nowSeconds();
    const int64_t nowMs = usrloc::nowMillis();
    const Settings& s = settings();
    bool tooBrief = false;
    for (sip::HeaderField* h = sip::findHeader(msg, sip::HeaderKind::Contact); h != nullptr;
         h = sip::nextHeader(msg, *h)) {
        const sip::ContactBody* body = sip::parseContact(msg, *h);
        if (body == nullptr) return fail(mc, flags, kContactParse);
        if (body->star) {
            star = true;
            ++values;
            continue;
        }
        for (const sip::ContactValue* v = body->first; v != nullptr; v = v->next) {
            ++values;
            if (n == kMaxContactsPerRequest) return fail(mc, flags, kTooMany);
            sip::SipUri cu;
            if (sip::parseUri(v->addr.uriText, cu) != sip::UriError::Ok)
                return fail(mc, flags, kContactParse);
            if (v->addr.uriText.size() > usrloc::kMaxUriLen ||
                v->instance.size() > usrloc::kMaxInstanceLen)
                return fail(mc, flags, kContactLen);
            // Step 6: expires param, else the Expires header, else the local default.
            int64_t exp = v->hasExpires ? v->expires : expHdr ? expHdr->value : s.defaultExpires;
            if (exp != 0 && exp < s.minExpires) tooBrief = true;
            if (s.maxExpires > 0 && exp > s.maxExpires) exp = s.maxExpires;
            usrloc::ContactData& u = updates[n++];
            u.uri = v->addr.uriText;
            u.callId = cid->value;
            u.cseq = cseq->number;
            u.path = path;
            u.received = received;
            u.socket = socket;
            u.userAgent = userAgent;
            u.instance = v->instance;
            u.regId = v->hasRegId ? v->regId : 0;
            u.q = v->hasQ ? v->q : -1;
            u.expires = exp == 0 ? 0 : now + exp;
            u.lastModified = nowMs;
            u.flags = mc.lua.bflags;  // Kamailio's cflags: branch 0's flags at save time
        }
    }
    if (star) {
        if (values != 1) return fail(mc, flags, kStarContact);
        if (expHdr == nullptr || expHdr->value != 0) return fail(mc, flags, kStarExpires);
    }
    if (tooBrief) {
        // Step 7: 423 with the shortest interval we accept.
        char mx[48];
        const int m = snprintf(mx, sizeof mx, "Min-Expires: %d\r\n", s.minExpires);
        mc.setError(423, "Interval Too Brief");
        if (!(flags & kSaveNoReply))
            route::sendReply(mc, 423, "Interval Too Brief", {mx, static_cast<size_t>(m)});
        return -1;
    }

    ReplyContacts reply;
    reply.now = now;
    // Write-through over UDP: usrloc answers after the commit (answerAfterCommit), so this
    // worker goes on at once; otherwise save returns after the commit.
    usrloc::WriteTicket ticket;
    const bool answerLater = !(flags & kSaveNoReply) && mc.recv.proto == net::Proto::Udp;
    const usrloc::SaveStatus st = api->save(
        table, aor.view(), {updates, n}, star, static_cast<uint32_t>(s.maxContacts),
        !(flags & kSaveMemoryOnly), &ReplyContacts::add, &reply, answerLater ? &ticket : nullptr);
    switch (st) {
        case usrloc::SaveStatus::Ok:
            break;
        case usrloc::SaveStatus::InvalidCSeq:
            return fail(mc, flags, kInvalidCSeq);
        case usrloc::SaveStatus::TooManyContacts:
            return fail(mc, flags, kTooMany);
        case usrloc::SaveStatus::NoMemory:
            return fail(mc, flags, kNoMemory);
        case usrloc::SaveStatus::NotDurable:
            return fail(mc, flags, kNotDurable);
        case usrloc::SaveStatus::Unavailable:
            return fail(mc, flags, kUnavailable, "Retry-After: 5\r\n");
    }
    if (flags & kSaveNoReply) return 1;
    if (!path.empty()) {
        reply.buf.add("Path: ");
        reply.buf.add(path);
        reply.buf.add("\r\n");
    }
    addDate(reply.buf);
    if (reply.buf.overflow) {
        LM_ERR("registrar: the 200 OK for %.*s does not fit (too many bindings)",
               static_cast<int>(aor.len), aor.text);
        return fail(mc, flags, kNoMemory);
    }
    if (ticket.pending) {
        if (answerAfterCommit(mc, *api, ticket, aor.view(), reply.buf.view())) return 1;
        if (!api->waitWritten(ticket, aor.view())) return fail(mc, flags, kNotDurable);
    }
    if (!route::sendReply(mc, 200, "OK", reply.buf.view())) {
        mc.setError(500, "Server Internal Error");
        return -1;
    }
    return 1;
}

}  // namespace osprey::registrar
