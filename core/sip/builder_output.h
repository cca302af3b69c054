// What the message builders produce: a list of spans (iovecs) for sendmsg/writev. Most spans
// point into the received buffer (unchanged text is never copied); the rest point at edit text
// in the message's arena. Valid as long as the SipMsg and its buffer are.
#pragma once
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace osprey::sip {

class MsgArena;

enum class BuildError : uint8_t {
    Ok,
    Overlap,         // an edit touches text another edit already changes
    BadRange,        // offsets outside the message or reversed
    OutOfMemory,     // the pkg heap (via the message arena) is exhausted
    BadHeader,       // a header name that is not a token, or CR/LF inside a value
    BadUri,          // a new Request-URI that does not parse
    NotARequest,     // a request-only edit (Request-URI, Max-Forwards) on a reply
    NoVia,           // nothing to pop, or no Via to copy into a reply / to add received to
    TooManyHops,     // Max-Forwards is already 0: reply 483 instead (RFC 3261 §16.3 step 2)
    BadDisplayName,  // From/To display name that cannot be repaired (RFC 4475 3.1.2.6/15)
    Unparsed,        // the message could not be scanned far enough (see msg.error)
    BadStatus,       // reply status outside 100..699
    TooManyHeaders,  // more header lines than the parser accepts (SipMsg::kMaxHeaders)
};

const char* buildErrorText(BuildError e);

struct OutSpans {
    const iovec* iov = nullptr;
    uint32_t count = 0;
    size_t bytes = 0;  // total length of all spans
};

// Copies the spans once into buf (for transports that need one buffer). Returns the length,
// or 0 when cap is too small (nothing useful is written then).
size_t flattenSpans(const OutSpans& out, char* buf, size_t cap);

// Copies the spans into one block from the arena; the view is empty when out of memory.
std::string_view flattenSpans(const OutSpans& out, MsgArena& arena);

// The parts written one after the other into one block from the arena (its length is the sum
// of theirs); empty when out of memory or when every part is empty.
std::string_view joinText(MsgArena& arena, std::initializer_list<std::string_view> parts);

}  // namespace osprey::sip
