// name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1): the shared grammar of
// From, To, Contact, Route, Record-Route, Path, Reply-To, Refer-To, P-Asserted-Identity, ...
//     [display-name] "<" URI ">" *(SEMI param)   or   addr-spec *(SEMI param)
// In the addr-spec form the URI ends at the first ';', ',' or whitespace, so a URI with
// parameters or headers must be in <> (RFC 4475 3.1.2.13). The URI itself is parsed lazily by
// nameAddrUri (parseUri from uri.h); schemes other than sip/sips/tel are accepted as opaque
// absoluteURI text (RFC 4475 3.3.4).
#pragma once
#include <cstdint>
#include <string_view>

#include "core/sip/parse_error.h"
#include "core/sip/uri.h"

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

enum class UriState : uint8_t { Unparsed, Sip, Foreign, Bad };  // Sip: sip/sips/tel

struct NameAddr {
    std::string_view displayName;  // as written: tokens ("A. Bell") or quoted with quotes
    std::string_view uriText;      // without the angle brackets
    bool angled = false;
    std::string_view params;  // raw list after the URI, without the leading ';'
    std::string_view text;    // the whole element
    UriState uriState = UriState::Unparsed;
    SipUri* uri = nullptr;  // set by nameAddrUri when uriState == Sip
};

// Parses the display name and URI of one element starting at `pos` in `value` (leading LWS
// allowed) and leaves `pos` just after the URI (or its '>'), before any parameters: the
// header parsers scan the parameters themselves (param_scan.h) to pick out the ones they
// know, then set out.params and out.text. On error returns false and fills err with an
// offset relative to value.data().
bool parseNameAddr(std::string_view value, size_t& pos, NameAddr& out, ParseError& err);

// The URI parsed (cached). nullptr for a foreign scheme (not an error) or a bad URI (then the
// error is set on msg, attributed to header h when given).
const SipUri* nameAddrUri(SipMsg& msg, NameAddr& na, const HeaderField* h = nullptr);

// The display name without quotes (escapes kept) and without surrounding whitespace.
std::string_view displayNameText(const NameAddr& na);

}  // namespace osprey::sip
