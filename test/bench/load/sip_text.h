// Just enough SIP text handling for a load tool: split a datagram into its start line and
// header lines (views into the datagram), recognise header names in long and compact form
// (RFC 3261 section 7.3.3), and find a parameter inside a header value.
#pragma once
#include <cstddef>
#include <string_view>

namespace osprey::load {

struct HeaderLine {
    std::string_view name;
    std::string_view value;  // trimmed of surrounding blanks
    std::string_view line;   // the whole line including its CRLF
};

inline constexpr int kMaxHeaders = 64;

struct SplitMessage {
    std::string_view startLine;
    HeaderLine headers[kMaxHeaders];
    int count = 0;
};

// False when there is no complete start line. Header folding is not supported (no router
// under test produces it); lines beyond kMaxHeaders are ignored.
bool splitMessage(std::string_view msg, SplitMessage& out);

// `name` equals `longName` (case-insensitive) or is the compact form `compact` ('\0': none).
bool headerIs(std::string_view name, std::string_view longName, char compact = '\0');

// Case-insensitive search; npos when absent.
size_t findNoCase(std::string_view haystack, std::string_view needle);

// The status code of a response ("SIP/2.0 200 OK" -> 200); 0 when `msg` is not a response.
int statusCode(std::string_view msg);

}  // namespace osprey::load
