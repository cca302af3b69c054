// Rewriting an SDP body to the relay's ports and addresses (sdp_relay.h).
#include "modules/rtpproxy/sdp_relay.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace osprey::rtpproxy {

namespace {

struct Edit {
    size_t start;
    size_t end;
    std::string_view text;
};

struct Edits {
    Edit items[3 * sip::Sdp::kMaxMedia + 4];
    size_t count = 0;
    char numbers[sip::Sdp::kMaxMedia * 2][8];
    size_t numberCount = 0;

    void add(std::string_view body, std::string_view field, std::string_view text) {
        if (field.empty() || count >= std::size(items)) return;
        const size_t at = sip::sdpOffset(body, field);
        items[count++] = {at, at + field.size(), text};
    }
    std::string_view number(unsigned v) {
        char* buf = numbers[numberCount++];
        const int n = snprintf(buf, sizeof numbers[0], "%u", v);
        return {buf, static_cast<size_t>(n)};
    }
};

}  // namespace

size_t rewriteSdp(std::string_view body, const sip::Sdp& sdp, const StreamAnswer* answers,
                  size_t count, RewriteFlags flags, char* out, size_t cap) {
    Edits e;
    size_t k = 0;
    std::string_view firstIp;
    bool streamHasOwnC = false;
    for (size_t i = 0; i < sdp.mediaCount && k < count; ++i) {
        const sip::SdpMedia& m = sdp.media[i];
        if (m.portNumber == 0) continue;
        const StreamAnswer& a = answers[k++];
        if (firstIp.empty()) firstIp = a.ip;
        e.add(body, m.port, e.number(a.port));
        if (m.connection.present) {
            streamHasOwnC = true;
            e.add(body, m.connection.address, a.ip);
        }
        if (m.rtcp.present) e.add(body, m.rtcp.port, e.number(a.port + 1u));
    }
    if (sdp.connection.present && !firstIp.empty() && (!streamHasOwnC || flags.sessionConnection)) {
        e.add(body, sdp.connection.address, firstIp);
    }
    if (flags.origin && sdp.origin.present && !firstIp.empty()) {
        e.add(body, sdp.origin.address, firstIp);
    }
    std::sort(e.items, e.items + e.count,
              [](const Edit& a, const Edit& b) { return a.start < b.start; });
    size_t len = 0;
    size_t pos = 0;
    auto put = [&](std::string_view s) {
        if (len + s.size() > cap) return false;
        std::memcpy(out + len, s.data(), s.size());
        len += s.size();
        return true;
    };
    for (size_t i = 0; i < e.count; ++i) {
        if (e.items[i].start < pos) continue;  // two edits of one field: the first wins
        if (!put(body.substr(pos, e.items[i].start - pos)) || !put(e.items[i].text)) return 0;
        pos = e.items[i].end;
    }
    if (!put(body.substr(pos))) return 0;
    return len;
}

size_t codecModifier(const sip::SdpMedia& m, char* out, size_t cap) {
    size_t len = 0;
    if (cap < 2) return 0;
    out[len++] = 'c';
    bool any = false;
    for (char ch : m.formats) {
        if (len + 1 >= cap) break;
        if (ch >= '0' && ch <= '9') {
            out[len++] = ch;
            any = true;
        } else if (ch == ' ' && any && out[len - 1] != ',') {
            out[len++] = ',';
        }
    }
    while (len > 1 && out[len - 1] == ',') --len;
    // rtpengine reads a command without modifiers wrongly; "c" alone keeps the grammar.
    return len;
}

}  // namespace osprey::rtpproxy
