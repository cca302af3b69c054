// Header name classification: a compile-time open-addressing table keyed by length and first
// and last letter, so lookup is one hash, usually one case-insensitive compare.
#include "core/sip/header_kind.h"

#include <array>
#include <cstring>

#include "core/sip/sip_lex.h"

namespace osprey::sip {
namespace {

struct NameEntry {
    std::string_view name;  // lower case
    HeaderKind kind;
};

using K = HeaderKind;

// Full names, then compact forms: RFC 3261 §7.3.3 (v f t i m l c k s e), RFC 3265/6665 (o u),
// RFC 3515 (r), RFC 3892 (b), RFC 4028 (x), RFC 4474 (y n), RFC 3841 (a j d).
constexpr NameEntry kNames[] = {
    {"via", K::Via},
    {"from", K::From},
    {"to", K::To},
    {"call-id", K::CallId},
    {"cseq", K::CSeq},
    {"max-forwards", K::MaxForwards},
    {"content-length", K::ContentLength},
    {"content-type", K::ContentType},
    {"expires", K::Expires},
    {"contact", K::Contact},
    {"route", K::Route},
    {"record-route", K::RecordRoute},
    {"path", K::Path},
    {"require", K::Require},
    {"proxy-require", K::ProxyRequire},
    {"supported", K::Supported},
    {"unsupported", K::Unsupported},
    {"authorization", K::Authorization},
    {"proxy-authorization", K::ProxyAuthorization},
    {"www-authenticate", K::WwwAuthenticate},
    {"proxy-authenticate", K::ProxyAuthenticate},
    {"event", K::Event},
    {"allow", K::Allow},
    {"user-agent", K::UserAgent},
    {"server", K::Server},
    {"accept", K::Accept},
    {"accept-encoding", K::AcceptEncoding},
    {"accept-language", K::AcceptLanguage},
    {"allow-events", K::AllowEvents},
    {"alert-info", K::AlertInfo},
    {"call-info", K::CallInfo},
    {"content-disposition", K::ContentDisposition},
    {"content-encoding", K::ContentEncoding},
    {"content-language", K::ContentLanguage},
    {"date", K::Date},
    {"error-info", K::ErrorInfo},
    {"in-reply-to", K::InReplyTo},
    {"mime-version", K::MimeVersion},
    {"min-expires", K::MinExpires},
    {"organization", K::Organization},
    {"priority", K::Priority},
    {"reply-to", K::ReplyTo},
    {"retry-after", K::RetryAfter},
    {"subject", K::Subject},
    {"timestamp", K::Timestamp},
    {"warning", K::Warning},
    {"authentication-info", K::AuthenticationInfo},
    {"refer-to", K::ReferTo},
    {"referred-by", K::ReferredBy},
    {"session-expires", K::SessionExpires},
    {"min-se", K::MinSE},
    {"p-asserted-identity", K::PAssertedIdentity},
    {"p-preferred-identity", K::PPreferredIdentity},
    {"privacy", K::Privacy},
    {"subscription-state", K::SubscriptionState},
    {"diversion", K::Diversion},
    {"reason", K::Reason},
    {"identity", K::Identity},
    {"identity-info", K::IdentityInfo},
    {"accept-contact", K::AcceptContact},
    {"reject-contact", K::RejectContact},
    {"request-disposition", K::RequestDisposition},
    // compact forms
    {"v", K::Via},
    {"f", K::From},
    {"t", K::To},
    {"i", K::CallId},
    {"m", K::Contact},
    {"l", K::ContentLength},
    {"c", K::ContentType},
    {"k", K::Supported},
    {"s", K::Subject},
    {"e", K::ContentEncoding},
    {"o", K::Event},
    {"u", K::AllowEvents},
    {"r", K::ReferTo},
    {"b", K::ReferredBy},
    {"x", K::SessionExpires},
    {"y", K::Identity},
    {"n", K::IdentityInfo},
    {"a", K::AcceptContact},
    {"j", K::RejectContact},
    {"d", K::RequestDisposition},
};

// A name's first (up to) 8 octets packed little-endian into a word, letters lowered by
// OR-ing 0x20 (names are tokens: that lowers letters and maps no other token octet onto a
// letter or '-', so equal keys mean equal names up to case).
constexpr uint64_t packLiteral(std::string_view n) {
    uint64_t k = 0;
    for (size_t i = 0; i < n.size() && i < 8; ++i)
        k |= uint64_t(static_cast<unsigned char>(n[i])) << (8 * i);
    return k;
}

inline uint64_t load8(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
inline uint32_t load4(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
inline uint16_t load2(const char* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// Reads only inside the name (overlapping loads for lengths that are not a power of two).
inline uint64_t packName(const char* p, size_t n) {
    uint64_t k;
    if (n >= 8) {
        k = load8(p);
    } else if (n >= 4) {
        k = load4(p) | (uint64_t(load4(p + n - 4)) << (8 * (n - 4)));
    } else if (n >= 2) {
        k = load2(p) | (uint64_t(load2(p + n - 2)) << (8 * (n - 2)));
    } else {
        k = static_cast<unsigned char>(p[0]);
    }
    const uint64_t lowerBits = 0x2020202020202020ull;
    return k | (n >= 8 ? lowerBits : (lowerBits & ((uint64_t{1} << (8 * n)) - 1)));
}

constexpr unsigned kSlots = 256;  // power of two, well above the ~83 names

constexpr unsigned slotOf(uint64_t key, size_t len) {
    return static_cast<unsigned>(((key ^ len) * 0x9E3779B97F4A7C15ull) >> 56) & (kSlots - 1);
}

struct Slot {
    uint64_t key = 0;
    uint8_t len = 0;  // 0: empty
    HeaderKind kind = HeaderKind::Other;
    const char* name = nullptr;  // lower case, for names longer than 8
};

constexpr std::array<Slot, kSlots> makeSlots() {
    std::array<Slot, kSlots> t{};
    for (const NameEntry& e : kNames) {
        uint64_t key = packLiteral(e.name);
        unsigned h = slotOf(key, e.name.size());
        while (t[h].len != 0) h = (h + 1) & (kSlots - 1);
        t[h] = Slot{key, static_cast<uint8_t>(e.name.size()), e.kind, e.name.data()};
    }
    return t;
}

constexpr std::array<Slot, kSlots> kSlotTable = makeSlots();

constexpr std::string_view kCanonical[] = {
    "",
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
    "Expires",
    "Contact",
    "Route",
    "Record-Route",
    "Path",
    "Require",
    "Proxy-Require",
    "Supported",
    "Unsupported",
    "Authorization",
    "Proxy-Authorization",
    "WWW-Authenticate",
    "Proxy-Authenticate",
    "Event",
    "Allow",
    "User-Agent",
    "Server",
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Allow-Events",
    "Alert-Info",
    "Call-Info",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Date",
    "Error-Info",
    "In-Reply-To",
    "MIME-Version",
    "Min-Expires",
    "Organization",
    "Priority",
    "Reply-To",
    "Retry-After",
    "Subject",
    "Timestamp",
    "Warning",
    "Authentication-Info",
    "Refer-To",
    "Referred-By",
    "Session-Expires",
    "Min-SE",
    "P-Asserted-Identity",
    "P-Preferred-Identity",
    "Privacy",
    "Subscription-State",
    "Diversion",
    "Reason",
    "Identity",
    "Identity-Info",
    "Accept-Contact",
    "Reject-Contact",
    "Request-Disposition",
};
static_assert(std::size(kCanonical) == kHeaderKindCount);

}  // namespace

std::string_view headerKindName(HeaderKind k) {
    unsigned i = static_cast<unsigned>(k);
    return i < kHeaderKindCount ? kCanonical[i] : std::string_view{};
}

HeaderKind lookupHeaderKind(std::string_view name) {
    const size_t n = name.size();
    if (n == 0 || n > 24) return HeaderKind::Other;
    const uint64_t key = packName(name.data(), n);
    for (unsigned h = slotOf(key, n);; h = (h + 1) & (kSlots - 1)) {
        const Slot& s = kSlotTable[h];
        if (s.len == 0) return HeaderKind::Other;
        if (s.key != key || s.len != n) continue;
        if (n <= 8) return s.kind;
        // The rest in 8-octet steps, the last one overlapping.
        constexpr uint64_t kLower = 0x2020202020202020ull;
        size_t i = 8;
        for (; i + 8 <= n; i += 8)
            if ((load8(name.data() + i) | kLower) != load8(s.name + i)) break;
        if (i + 8 <= n) continue;
        if (i == n || (load8(name.data() + n - 8) | kLower) == load8(s.name + n - 8)) return s.kind;
    }
}

bool headerIsList(HeaderKind k) {
    switch (k) {
        case K::From:
        case K::To:
        case K::CallId:
        case K::CSeq:
        case K::MaxForwards:
        case K::ContentLength:
        case K::ContentType:
        case K::Expires:
        case K::MinExpires:
        case K::Date:
        case K::MimeVersion:
        case K::Organization:
        case K::Priority:
        case K::ReplyTo:
        case K::RetryAfter:
        case K::Subject:
        case K::Timestamp:
        case K::UserAgent:
        case K::Server:
        case K::ContentDisposition:
        case K::Event:
        case K::ReferTo:
        case K::ReferredBy:
        case K::SessionExpires:
        case K::MinSE:
        case K::SubscriptionState:
        case K::Identity:
        case K::IdentityInfo:
        case K::RequestDisposition:
            return false;
        default:
            return true;
    }
}

}  // namespace osprey::sip
