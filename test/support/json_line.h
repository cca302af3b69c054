// A strict checker for one JSON log record (RFC 8259): an object whose values are strings,
// numbers, true, false or null. Strings are decoded (escapes, \u with surrogate pairs) and
// raw bytes must be valid UTF-8 with no control characters - what a log shipper would reject.
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace osprey::testsupport {

// The members (decoded; numbers and literals as written), or false with *error saying where.
bool parseJsonRecord(std::string_view line, std::map<std::string, std::string>* members,
                     std::string* error);

}  // namespace osprey::testsupport
