// Checks the builders apply so that what RFC 4475 says a proxy must not propagate never
// leaves Osprey, and the validation of header text handed to the builders.
#pragma once
#include <cstddef>
#include <string_view>

namespace osprey::sip {

// A header name the builders accept: an RFC 3261 token.
bool isHeaderName(std::string_view name);
// A header value the builders accept: no CR, LF or NUL (one line, no folding).
bool isHeaderValue(std::string_view value);

// The Request-URI as a proxy may forward it: without surrounding blanks (3.1.2.9), without
// surrounding <> (RFC 4475 3.1.2.7) and without ?headers (3.1.2.11). A view into `uri`; `uri`
// itself when nothing is to be dropped.
std::string_view cleanRequestUri(std::string_view uri);

enum class DisplayNameCheck { Fine, Repair, Bad };

// Looks at a From/To/Contact-style value (raw, as in HeaderField::value). Repair when the part
// before '<' is neither tokens nor one quoted string (RFC 4475 3.1.2.15 "Bell, Alexander"):
// [*start, *end) is then that display name (offsets into value). Bad when it cannot be
// repaired safely (an unterminated quoted string, RFC 4475 3.1.2.6).
DisplayNameCheck checkDisplayName(std::string_view value, size_t* start, size_t* end);

// Writes dn as a quoted string ("...", with '"' and '\' escaped, folding turned into spaces)
// into out, which has room for quotedDisplayNameSize(dn) octets. Returns the length.
size_t quotedDisplayNameSize(std::string_view dn);
size_t quoteDisplayName(std::string_view dn, char* out);

}  // namespace osprey::sip
