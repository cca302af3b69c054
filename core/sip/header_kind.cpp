// Header name classification: a compile-time open-addressing table keyed by length and first
// and last letter, so lookup is one hash, usually one case-insensitive compare.
#include "core/sip/header_kind.h"

#include <array>

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
    {"via", K::Via}, {"from", K::From}, {"to", K::To}, {"call-id", K::CallId},
    {"cseq", K::CSeq}, {"max-forwards", K::MaxForwards}, {"content-length", K::ContentLength},
    {"content-type", K::ContentType}, {"expires", K::Expires}, {"contact", K::Contact},
    {"route", K::Route}, {"record-route", K::RecordRoute}, {"path", K::Path},
    {"require", K::Require}, {"proxy-require", K::ProxyRequire}, {"supported", K::Supported},
    {"unsupported", K::Unsupported}, {"authorization", K::Authorization},
    {"proxy-authorization", K::ProxyAuthorization}, {"www-authenticate", K::WwwAuthenticate},
    {"proxy-authenticate", K::ProxyAuthenticate}, {"event", K::Event}, {"allow", K::Allow},
    {"user-agent", K::UserAgent}, {"server", K::Server}, {"accept", K::Accept},
    {"accept-encoding", K::AcceptEncoding}, {"accept-language", K::AcceptLanguage},
    {"allow-events", K::AllowEvents}, {"alert-info", K::AlertInfo}, {"call-info", K::CallInfo},
    {"content-disposition", K::ContentDisposition}, {"content-encoding", K::ContentEncoding},
    {"content-language", K::ContentLanguage}, {"date", K::Date}, {"error-info", K::ErrorInfo},
    {"in-reply-to", K::InReplyTo}, {"mime-version", K::MimeVersion},
    {"min-expires", K::MinExpires}, {"organization", K::Organization},
    {"priority", K::Priority}, {"reply-to", K::ReplyTo}, {"retry-after", K::RetryAfter},
    {"subject", K::Subject}, {"timestamp", K::Timestamp}, {"warning", K::Warning},
    {"authentication-info", K::AuthenticationInfo}, {"refer-to", K::ReferTo},
    {"referred-by", K::ReferredBy}, {"session-expires", K::SessionExpires},
    {"min-se", K::MinSE}, {"p-asserted-identity", K::PAssertedIdentity},
    {"p-preferred-identity", K::PPreferredIdentity}, {"privacy", K::Privacy},
    {"subscription-state", K::SubscriptionState}, {"diversion", K::Diversion},
    {"reason", K::Reason}, {"identity", K::Identity}, {"identity-info", K::IdentityInfo},
    {"accept-contact", K::AcceptContact}, {"reject-contact", K::RejectContact},
    {"request-disposition", K::RequestDisposition},
    // compact forms
    {"v", K::Via}, {"f", K::From}, {"t", K::To}, {"i", K::CallId}, {"m", K::Contact},
    {"l", K::ContentLength}, {"c", K::ContentType}, {"k", K::Supported}, {"s", K::Subject},
    {"e", K::ContentEncoding}, {"o", K::Event}, {"u", K::AllowEvents}, {"r", K::ReferTo},
    {"b", K::ReferredBy}, {"x", K::SessionExpires}, {"y", K::Identity}, {"n", K::IdentityInfo},
    {"a", K::AcceptContact}, {"j", K::RejectContact}, {"d", K::RequestDisposition},
};

constexpr char lowerC(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

constexpr unsigned kSlots = 256;  // power of two, well above the ~83 names

constexpr unsigned hashName(std::string_view n) {
    unsigned h = static_cast<unsigned>(n.size()) * 31u;
    h += static_cast<unsigned char>(lowerC(n.front())) * 7u;
    h += static_cast<unsigned char>(lowerC(n.back())) * 131u;
    if (n.size() > 4) h += static_cast<unsigned char>(lowerC(n[3])) * 17u;
    return h & (kSlots - 1);
}

// slot -> index into kNames + 1 (0 = empty)
constexpr std::array<uint8_t, kSlots> makeSlots() {
    std::array<uint8_t, kSlots> t{};
    for (unsigned i = 0; i < std::size(kNames); ++i) {
        unsigned h = hashName(kNames[i].name);
        while (t[h] != 0) h = (h + 1) & (kSlots - 1);
        t[h] = static_cast<uint8_t>(i + 1);
    }
    return t;
}

constexpr std::array<uint8_t, kSlots> kSlotTable = makeSlots();

constexpr std::string_view kCanonical[] = {
    "", "Via", "From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length",
    "Content-Type", "Expires", "Contact", "Route", "Record-Route", "Path", "Require",
    "Proxy-Require", "Supported", "Unsupported", "Authorization", "Proxy-Authorization",
    "WWW-Authenticate", "Proxy-Authenticate", "Event", "Allow", "User-Agent", "Server",
    "Accept", "Accept-Encoding", "Accept-Language", "Allow-Events", "Alert-Info", "Call-Info",
    "Content-Disposition", "Content-Encoding", "Content-Language", "Date", "Error-Info",
    "In-Reply-To", "MIME-Version", "Min-Expires", "Organization", "Priority", "Reply-To",
    "Retry-After", "Subject", "Timestamp", "Warning", "Authentication-Info", "Refer-To",
    "Referred-By", "Session-Expires", "Min-SE", "P-Asserted-Identity", "P-Preferred-Identity",
    "Privacy", "Subscription-State", "Diversion", "Reason", "Identity", "Identity-Info",
    "Accept-Contact", "Reject-Contact", "Request-Disposition",
};
static_assert(std::size(kCanonical) == kHeaderKindCount);

} // namespace

std::string_view headerKindName(HeaderKind k) {
    unsigned i = static_cast<unsigned>(k);
    return i < kHeaderKindCount ? kCanonical[i] : std::string_view{};
}

HeaderKind lookupHeaderKind(std::string_view name) {
    if (name.empty() || name.size() > 24) return HeaderKind::Other;
    unsigned h = hashName(name);
    for (;;) {
        unsigned e = kSlotTable[h];
        if (e == 0) return HeaderKind::Other;
        const NameEntry& ne = kNames[e - 1];
        if (ne.name.size() == name.size()) {
            size_t i = 0;
            // Names are tokens: OR-ing 0x20 lowers letters and maps no other token octet onto
            // a letter or '-', so this is an exact case-insensitive compare.
            while (i < name.size() && (name[i] | 0x20) == ne.name[i]) ++i;
            if (i == name.size()) return ne.kind;
        }
        h = (h + 1) & (kSlots - 1);
    }
}

bool headerIsList(HeaderKind k) {
    switch (k) {
        case K::From: case K::To: case K::CallId: case K::CSeq: case K::MaxForwards:
        case K::ContentLength: case K::ContentType: case K::Expires: case K::MinExpires:
        case K::Date: case K::MimeVersion: case K::Organization: case K::Priority:
        case K::ReplyTo: case K::RetryAfter: case K::Subject: case K::Timestamp:
        case K::UserAgent: case K::Server: case K::ContentDisposition: case K::Event:
        case K::ReferTo: case K::ReferredBy: case K::SessionExpires: case K::MinSE:
        case K::SubscriptionState: case K::Identity: case K::IdentityInfo:
        case K::RequestDisposition:
            return false;
        default:
            return true;
    }
}

} // namespace osprey::sip
