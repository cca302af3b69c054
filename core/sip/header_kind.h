// Header kinds the parser knows by name (full and compact forms, RFC 3261 §7.3.3 and the
// extensions that define compact forms), and the bit masks used to ask the parser for them
// lazily: parseHeaders(msg, HDR_CALLID | HDR_CSEQ) scans only as far as it must.
#pragma once
#include <cstdint>
#include <string_view>

namespace osprey::sip {

enum class HeaderKind : uint8_t {
    Other = 0,  // any header the parser does not know by name; kept raw
    Via,
    From,
    To,
    CallId,
    CSeq,
    MaxForwards,
    ContentLength,
    ContentType,
    Expires,
    Contact,
    Route,
    RecordRoute,
    Path,
    Require,
    ProxyRequire,
    Supported,
    Unsupported,
    Authorization,
    ProxyAuthorization,
    WwwAuthenticate,
    ProxyAuthenticate,
    Event,
    Allow,
    UserAgent,
    Server,
    Accept,
    AcceptEncoding,
    AcceptLanguage,
    AllowEvents,
    AlertInfo,
    CallInfo,
    ContentDisposition,
    ContentEncoding,
    ContentLanguage,
    Date,
    ErrorInfo,
    InReplyTo,
    MimeVersion,
    MinExpires,
    Organization,
    Priority,
    ReplyTo,
    RetryAfter,
    Subject,
    Timestamp,
    Warning,
    AuthenticationInfo,
    ReferTo,
    ReferredBy,
    SessionExpires,
    MinSE,
    PAssertedIdentity,
    PPreferredIdentity,
    Privacy,
    SubscriptionState,
    Diversion,
    Reason,
    Identity,
    IdentityInfo,
    AcceptContact,
    RejectContact,
    RequestDisposition,
    Count_  // number of kinds; must stay <= 63 (bit 63 of a mask is HDR_EOH)
};

inline constexpr unsigned kHeaderKindCount = static_cast<unsigned>(HeaderKind::Count_);
static_assert(kHeaderKindCount <= 63);

using HeaderMask = uint64_t;

constexpr HeaderMask headerBit(HeaderKind k) {
    return HeaderMask{1} << static_cast<unsigned>(k);
}

// Masks in Kamailio's spelling, so parseHeaders(msg, HDR_FROM | HDR_TO) reads as it does there.
inline constexpr HeaderMask HDR_OTHER = headerBit(HeaderKind::Other);
inline constexpr HeaderMask HDR_VIA = headerBit(HeaderKind::Via);
inline constexpr HeaderMask HDR_FROM = headerBit(HeaderKind::From);
inline constexpr HeaderMask HDR_TO = headerBit(HeaderKind::To);
inline constexpr HeaderMask HDR_CALLID = headerBit(HeaderKind::CallId);
inline constexpr HeaderMask HDR_CSEQ = headerBit(HeaderKind::CSeq);
inline constexpr HeaderMask HDR_MAXFORWARDS = headerBit(HeaderKind::MaxForwards);
inline constexpr HeaderMask HDR_CONTENTLENGTH = headerBit(HeaderKind::ContentLength);
inline constexpr HeaderMask HDR_CONTENTTYPE = headerBit(HeaderKind::ContentType);
inline constexpr HeaderMask HDR_EXPIRES = headerBit(HeaderKind::Expires);
inline constexpr HeaderMask HDR_CONTACT = headerBit(HeaderKind::Contact);
inline constexpr HeaderMask HDR_ROUTE = headerBit(HeaderKind::Route);
inline constexpr HeaderMask HDR_RECORDROUTE = headerBit(HeaderKind::RecordRoute);
inline constexpr HeaderMask HDR_PATH = headerBit(HeaderKind::Path);
inline constexpr HeaderMask HDR_REQUIRE = headerBit(HeaderKind::Require);
inline constexpr HeaderMask HDR_PROXYREQUIRE = headerBit(HeaderKind::ProxyRequire);
inline constexpr HeaderMask HDR_SUPPORTED = headerBit(HeaderKind::Supported);
inline constexpr HeaderMask HDR_UNSUPPORTED = headerBit(HeaderKind::Unsupported);
inline constexpr HeaderMask HDR_AUTHORIZATION = headerBit(HeaderKind::Authorization);
inline constexpr HeaderMask HDR_PROXYAUTH = headerBit(HeaderKind::ProxyAuthorization);
inline constexpr HeaderMask HDR_WWWAUTHENTICATE = headerBit(HeaderKind::WwwAuthenticate);
inline constexpr HeaderMask HDR_PROXYAUTHENTICATE = headerBit(HeaderKind::ProxyAuthenticate);
inline constexpr HeaderMask HDR_EVENT = headerBit(HeaderKind::Event);
inline constexpr HeaderMask HDR_ALLOW = headerBit(HeaderKind::Allow);
inline constexpr HeaderMask HDR_USERAGENT = headerBit(HeaderKind::UserAgent);
inline constexpr HeaderMask HDR_SERVER = headerBit(HeaderKind::Server);
inline constexpr HeaderMask HDR_DATE = headerBit(HeaderKind::Date);
// Not a header: asks parseHeaders to scan to the end of the header section.
inline constexpr HeaderMask HDR_EOH = HeaderMask{1} << 63;
inline constexpr HeaderMask HDR_ALL = ~HeaderMask{0};

// Canonical full name ("Call-ID", "WWW-Authenticate"); "" for Other.
std::string_view headerKindName(HeaderKind k);

// Classifies a header name as written (any case, full or compact form). The name must already
// be a valid token (the scanner checks that). Unknown names give HeaderKind::Other.
HeaderKind lookupHeaderKind(std::string_view name);

// Whether the header's grammar is a comma-separated list (RFC 3261 §7.3.1), so that it may
// also appear several times. Single-value headers (From, To, Call-ID, CSeq, ...) are not.
bool headerIsList(HeaderKind k);

}  // namespace osprey::sip
