// Flattening builder output for transports that need one buffer, and error names.
#include "core/sip/builder_output.h"

#include <cstring>

#include "core/sip/msg_arena.h"

namespace osprey::sip {

const char* buildErrorText(BuildError e) {
    switch (e) {
        case BuildError::Ok:
            return "ok";
        case BuildError::Overlap:
            return "edit overlaps an earlier edit";
        case BuildError::BadRange:
            return "edit outside the message";
        case BuildError::OutOfMemory:
            return "out of pkg memory";
        case BuildError::BadHeader:
            return "bad header name or value";
        case BuildError::BadUri:
            return "bad Request-URI";
        case BuildError::NotARequest:
            return "request-only edit on a reply";
        case BuildError::NoVia:
            return "no Via";
        case BuildError::TooManyHops:
            return "Max-Forwards is 0";
        case BuildError::BadDisplayName:
            return "unrepairable display name";
        case BuildError::Unparsed:
            return "message could not be parsed far enough";
        case BuildError::BadStatus:
            return "bad status code";
        case BuildError::TooManyHeaders:
            return "too many headers";
    }
    return "unknown build error";
}

size_t flattenSpans(const OutSpans& out, char* buf, size_t cap) {
    if (out.bytes > cap) return 0;
    char* w = buf;
    for (uint32_t i = 0; i < out.count; ++i) {
        std::memcpy(w, out.iov[i].iov_base, out.iov[i].iov_len);
        w += out.iov[i].iov_len;
    }
    return static_cast<size_t>(w - buf);
}

std::string_view flattenSpans(const OutSpans& out, MsgArena& arena) {
    if (out.bytes == 0) return {};
    char* p = static_cast<char*>(arena.alloc(out.bytes));
    if (p == nullptr) return {};
    return std::string_view(p, flattenSpans(out, p, out.bytes));
}

std::string_view joinText(MsgArena& arena, std::initializer_list<std::string_view> parts) {
    size_t total = 0;
    for (std::string_view s : parts) total += s.size();
    if (total == 0) return {};
    char* p = static_cast<char*>(arena.alloc(total));
    if (p == nullptr) return {};
    char* w = p;
    for (std::string_view s : parts) {
        if (s.empty()) continue;  // an empty view may have no data pointer
        std::memcpy(w, s.data(), s.size());
        w += s.size();
    }
    return {p, total};
}

}  // namespace osprey::sip
