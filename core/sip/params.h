// Generic ";name[=value]" parameter lists as they appear after a header value (RFC 3261 §25.1
// generic-param): LWS and line folding are allowed around ';' and '=', a value is a token, a
// host (IPv6 reference included) or a quoted string. The typed parsers validate a list once
// and keep it raw (a view); ParamIter walks it again when someone wants an unusual parameter.
#pragma once
#include <string_view>

namespace osprey::sip {

struct Param {
    std::string_view name;   // as written (compare case-insensitively)
    std::string_view value;  // as written; a quoted string keeps its quotes; empty for a flag
    bool hasValue = false;
};

// Walks a parameter list as stored in a parsed body (`params`, which starts at the first
// parameter name, without the leading ';'). Stops at the end, or at the first malformed
// parameter (ok() then says false; lists stored by the parser never have one).
class ParamIter {
public:
    explicit ParamIter(std::string_view params) : s_(params) {}
    bool next(Param& out);
    bool ok() const { return ok_; }

private:
    std::string_view s_;
    size_t pos_ = 0;
    bool ok_ = true;
};

// Looks a parameter up by name (case-insensitive). Returns false when absent.
bool findParam(std::string_view params, std::string_view name, Param* out = nullptr);

// The value with surrounding quotes removed (escapes stay as written: "a\"b" -> a\"b).
std::string_view unquote(std::string_view v);

}  // namespace osprey::sip
