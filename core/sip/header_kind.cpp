// Header kinds: canonical names, name classification (the table is in header_kind_table.h),
// and which kinds are lists.
#include "core/sip/header_kind.h"

#include <iterator>

#include "core/sip/header_kind_table.h"

namespace osprey::sip {
namespace {

using K = HeaderKind;

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
    return kindtab::lookup(name.data(), name.size());
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
