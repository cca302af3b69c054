#include "test/bench/load/sip_text.h"

#include <strings.h>

namespace osprey::load {

namespace {
std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}
}  // namespace

bool splitMessage(std::string_view msg, SplitMessage& out) {
    out.count = 0;
    size_t eol = msg.find("\r\n");
    if (eol == std::string_view::npos) return false;
    out.startLine = msg.substr(0, eol);
    size_t pos = eol + 2;
    while (pos < msg.size() && out.count < kMaxHeaders) {
        eol = msg.find("\r\n", pos);
        if (eol == std::string_view::npos || eol == pos) break;  // end of headers
        std::string_view text = msg.substr(pos, eol - pos);
        size_t colon = text.find(':');
        if (colon != std::string_view::npos) {
            HeaderLine& h = out.headers[out.count++];
            h.name = trim(text.substr(0, colon));
            h.value = trim(text.substr(colon + 1));
            h.line = msg.substr(pos, eol + 2 - pos);
        }
        pos = eol + 2;
    }
    return true;
}

bool headerIs(std::string_view name, std::string_view longName, char compact) {
    if (compact != '\0' && name.size() == 1 && (name[0] | 0x20) == compact) return true;
    return name.size() == longName.size() &&
           strncasecmp(name.data(), longName.data(), name.size()) == 0;
}

size_t findNoCase(std::string_view haystack, std::string_view needle) {
    if (needle.size() > haystack.size()) return std::string_view::npos;
    for (size_t i = 0; i + needle.size() <= haystack.size(); i++)
        if (strncasecmp(haystack.data() + i, needle.data(), needle.size()) == 0) return i;
    return std::string_view::npos;
}

int statusCode(std::string_view msg) {
    if (msg.size() < 12 || msg.substr(0, 8) != "SIP/2.0 ") return 0;
    int code = 0;
    for (size_t i = 8; i < 11; i++) {
        if (msg[i] < '0' || msg[i] > '9') return 0;
        code = code * 10 + (msg[i] - '0');
    }
    return code;
}

}  // namespace osprey::load
