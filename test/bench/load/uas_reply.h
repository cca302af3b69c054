// The UAS's answer to a request: 200 OK with Via, From, Call-ID, CSeq and Record-Route copied
// (RFC 3261 sections 8.2.6.2 and 12.1.1), To copied with a tag added when it has none, and for
// an INVITE the Contact line given, so the caller can reach the UAS inside the dialog.
#pragma once
#include <cstddef>
#include <string_view>

#include "test/bench/load/sip_text.h"

namespace osprey::load {

// Writes the reply to `out`; 0 when it does not fit in `cap`. `contactLine` ends with CRLF;
// the To tag is "uas<tagNumber in hex>".
size_t writeOkReply(const SplitMessage& req, bool invite, std::string_view contactLine,
                    unsigned tagNumber, char* out, size_t cap);

}  // namespace osprey::load
