// Host classification for Via sent-by and similar (RFC 3261 §25.1 host).
#include "core/sip/sip_lex.h"

namespace osprey::sip::lex {

namespace {

bool isIpv4(std::string_view h) {
    int parts = 0;
    size_t i = 0;
    while (i <= h.size()) {
        size_t j = i;
        unsigned v = 0;
        while (j < h.size() && is(h[j], kDigit) && j - i < 4)
            v = v * 10 + static_cast<unsigned>(h[j++] - '0');
        if (j == i || j - i > 3 || v > 255) return false;
        ++parts;
        if (j == h.size()) break;
        if (h[j] != '.') return false;
        i = j + 1;
    }
    return parts == 4;
}

// Light IPv6 reference check: hex groups separated by ':' (at most one "::"), an optional
// trailing dotted quad; full address semantics are the URI parser's business.
bool isIpv6Ref(std::string_view h) {
    if (h.size() < 4 || h.front() != '[' || h.back() != ']') return false;
    std::string_view a = h.substr(1, h.size() - 2);
    int groups = 0;
    bool dbl = false;
    size_t i = 0;
    if (a.substr(0, 2) == "::") {
        dbl = true;
        i = 2;
    } else if (!a.empty() && a[0] == ':') {
        return false;
    }
    while (i < a.size()) {
        size_t j = i;
        while (j < a.size() && j - i < 5 &&
               (is(a[j], kDigit) || (lower(a[j]) >= 'a' && lower(a[j]) <= 'f')))
            ++j;
        if (j < a.size() && a[j] == '.') return groups <= 6 && isIpv4(a.substr(i));
        if (j == i || j - i > 4) return false;
        ++groups;
        if (j == a.size()) break;
        if (a[j] != ':') return false;
        if (j + 1 < a.size() && a[j + 1] == ':') {
            if (dbl) return false;
            dbl = true;
            ++j;
        }
        i = j + 1;
        if (i == a.size() && !(a.size() >= 2 && a.substr(a.size() - 2) == "::")) return false;
    }
    return dbl ? groups <= 7 : groups == 8;
}

// hostname = *( domainlabel "." ) toplabel [ "." ]; labels of alphanum and inner '-', the
// top label starting with a letter (RFC 3261 §25.1). Alphanumeric runs are skipped with the
// unrolled scan; only '.' and '-' need a look at their neighbours.
bool isHostname(std::string_view h) {
    if (!h.empty() && h.back() == '.') h.remove_suffix(1);
    const size_t n = h.size();
    size_t label = 0;  // start of the current label
    size_t i = 0;
    for (;;) {
        i = scanWhile(h, i, kAlpha | kDigit);
        if (i == n) break;
        const char c = h[i];
        if (i == label) return false;  // empty label, or a label starting with '-'
        if (c == '.') {
            if (h[i - 1] == '-') return false;
            label = i + 1;
        } else if (c != '-') {
            return false;
        }
        ++i;
    }
    return label < n && h[n - 1] != '-' && is(h[label], kAlpha);
}

}  // namespace

HostType classifyHost(std::string_view h) {
    if (h.empty()) return HostType::Bad;
    if (h[0] == '[') return isIpv6Ref(h) ? HostType::Ipv6 : HostType::Bad;
    if (is(h[0], kDigit) && isIpv4(h)) return HostType::Ipv4;
    return isHostname(h) ? HostType::Name : HostType::Bad;
}

}  // namespace osprey::sip::lex
