// Kamailio-compatible parsing of rtpengine flag strings (ng_flags.h).
#include "modules/rtpengine/ng_flags.h"

#include <arpa/inet.h>

namespace osprey::rtpengine {

namespace {

// "replace-origin" or "replace=origin" with prefix "replace" gives "origin".
bool prefixValue(std::string_view key, std::string_view val, bool hasVal, std::string_view prefix,
                 std::string_view& out) {
    if (key == prefix && hasVal) {
        out = val;
        return true;
    }
    if (!hasVal && key.size() > prefix.size() + 1 && key.substr(0, prefix.size()) == prefix &&
        key[prefix.size()] == '-') {
        out = key.substr(prefix.size() + 1);
        return true;
    }
    return false;
}

bool parseInt(std::string_view v, int64_t& out) {
    if (v.empty() || v.size() > 18) return false;
    int64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + (c - '0');
    }
    out = n;
    return true;
}

bool fail(NgFlags& f, std::string_view key, std::string_view why) {
    f.error = why;
    f.errorFlag = key;
    return false;
}

struct CodecFlag {
    std::string_view spelling;  // "codec-strip"
    std::string_view op;        // "strip"
};
constexpr CodecFlag kCodecFlags[] = {
    {"transcode", "transcode"}, {"codec-transcode", "transcode"}, {"codec-strip", "strip"},
    {"codec-offer", "offer"},   {"codec-mask", "mask"},           {"codec-set", "set"},
    {"codec-except", "except"}, {"codec-accept", "accept"},       {"codec-consume", "consume"},
};

// Flags that set the transport protocol and take no value; `set` replaces, the others add bits.
struct TransportFlag {
    std::string_view name;
    int bits;
    bool set;
    int clear = 0;
};
constexpr TransportFlag kTransportFlags[] = {
    {"RTP", 0x100, false, 0x001},
    {"AVP", 0x100, false, 0x002},
    {"SRTP", 0x101, false},
    {"AVPF", 0x102, false},
    {"DTLS", 0x104, false},
    {"RTP/AVP", 0x100, true},
    {"RTP/AVPF", 0x102, true},
    {"RTP/SAVP", 0x101, true},
    {"RTP/SAVPF", 0x103, true},
    {"UDP/TLS/RTP/SAVP", 0x104, true},
    {"UDP/TLS/RTP/SAVPF", 0x106, true},
};

bool one(NgFlags& f, std::string_view key, std::string_view val, bool hasVal) {
    std::string_view s;
    if (prefixValue(key, val, hasVal, "replace", s)) {
        return f.replace.add(s) || fail(f, key, "too many replace flags");
    }
    if (prefixValue(key, val, hasVal, "received-from", s)) {
        unsigned char addr[16];
        char text[64];
        if (s.size() >= sizeof text) return fail(f, key, "invalid value");
        s.copy(text, s.size());
        text[s.size()] = '\0';
        if (inet_pton(AF_INET, text, addr) == 1) {
            f.receivedFromV6 = false;
        } else if (inet_pton(AF_INET6, text, addr) == 1) {
            f.receivedFromV6 = true;
        } else {
            return true;  // Kamailio ignores an address it cannot read
        }
        f.receivedFrom = s;
        return true;
    }
    if (prefixValue(key, val, hasVal, "SDES", s)) return f.sdes.add(s) || fail(f, key, "too many");
    if (prefixValue(key, val, hasVal, "T38", s) || prefixValue(key, val, hasVal, "T.38", s)) {
        return f.t38.add(s) || fail(f, key, "too many");
    }
    if (prefixValue(key, val, hasVal, "rtcp-mux", s)) {
        return f.rtcpMux.add(s) || fail(f, key, "too many");
    }
    for (const CodecFlag& c : kCodecFlags) {
        if (prefixValue(key, val, hasVal, c.spelling, s)) {
            if (f.codecCount >= NgFlags::kMaxItems) return fail(f, key, "too many codec flags");
            f.codec[f.codecCount++] = {c.op, s};
            return true;
        }
    }
    if (!hasVal) {
        for (const TransportFlag& t : kTransportFlags) {
            if (key != t.name) continue;
            if (t.set) {
                f.transport = t.bits;
            } else {
                f.transport = (f.transport < 0 ? 0 : f.transport) | t.bits;
                f.transport &= ~t.clear;
            }
            return true;
        }
    }
    if (key == "to-tag") {
        if (hasVal) f.toTag = val;
        f.toTagFlag = true;
        return true;
    }
    if (key == "call-id" || key == "from-tag" || key == "via-branch" || key == "repacketize") {
        if (!hasVal || val.empty()) return fail(f, key, "missing value");
        if (key == "call-id") {
            f.callId = val;
        } else if (key == "from-tag") {
            f.fromTag = val;
            f.directional = true;
        } else if (key == "via-branch") {
            if (val != "1" && val != "2" && val != "auto" && val != "extra" && val != "next" &&
                val != "auto-next" && val != "next-auto" && val != "auto-extra" &&
                val != "extra-auto") {
                return fail(f, key, "invalid value");
            }
            f.viaBranch = val;
        } else if (!parseInt(val, f.repacketize) || f.repacketize == 0) {
            return fail(f, key, "invalid value");
        }
        return true;
    }
    if (key == "internal" || key == "external") {
        return f.direction.add(key) || fail(f, key, "too many directions");
    }
    if (key == "direction" && hasVal) {
        return f.direction.add(val) || fail(f, key, "too many directions");
    }
    if (key == "directional" && !hasVal) {
        f.directional = true;
        return true;
    }
    if (key == "force-answer" && !hasVal) {
        f.forceAnswer = true;
        return true;
    }
    if (key == "TOS" && hasVal && parseInt(val, f.tos)) return true;
    if (key == "delete-delay" && hasVal && parseInt(val, f.deleteDelay)) return true;
    if (!hasVal) return f.flags.add(key) || fail(f, key, "too many flags");
    if (f.dictCount >= NgFlags::kMaxItems) return fail(f, key, "too many key=value flags");
    f.dict[f.dictCount++] = {key, val};
    return true;
}

void writeList(bencode::Writer& w, std::string_view key, const NgFlags::List& l) {
    if (l.count == 0) return;
    w.str(key);
    w.beginList();
    for (uint8_t i = 0; i < l.count; ++i) w.str(l.items[i]);
    w.end();
}

}  // namespace

bool parseNgFlags(std::string_view text, NgFlags& out) {
    size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && text[pos] == ' ') ++pos;
        if (pos >= text.size()) break;
        size_t end = text.find(' ', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view word = text.substr(pos, end - pos);
        pos = end;
        const size_t eq = word.find('=');
        const bool hasVal = eq != std::string_view::npos;
        const std::string_view key = hasVal ? word.substr(0, eq) : word;
        const std::string_view val = hasVal ? word.substr(eq + 1) : std::string_view();
        if (key.empty()) break;  // Kamailio stops at an empty key ("=x")
        if (!one(out, key, val, hasVal)) return false;
    }
    return true;
}

std::string_view transportProtocol(int transport) {
    if (transport < 0 || (transport & 0x100) == 0) return {};
    switch (transport & 0x0ff) {
        case 0x00:
            return "RTP/AVP";
        case 0x01:
            return "RTP/SAVP";
        case 0x02:
            return "RTP/AVPF";
        case 0x03:
            return "RTP/SAVPF";
        case 0x04:
            return "UDP/TLS/RTP/SAVP";
        case 0x05:
            return "UDP/TLS/RTP/SAVP";
        case 0x06:
            return "UDP/TLS/RTP/SAVPF";
        case 0x07:
            return "UDP/TLS/RTP/SAVPF";
        default:
            return {};
    }
}

void writeNgFlags(const NgFlags& f, bencode::Writer& w) {
    writeList(w, "flags", f.flags);
    writeList(w, "replace", f.replace);
    writeList(w, "direction", f.direction);
    writeList(w, "rtcp-mux", f.rtcpMux);
    writeList(w, "SDES", f.sdes);
    writeList(w, "T38", f.t38);
    if (!f.receivedFrom.empty()) {
        w.str("received-from");
        w.beginList();
        w.str(f.receivedFromV6 ? "IP6" : "IP4");
        w.str(f.receivedFrom);
        w.end();
    }
    const std::string_view proto = transportProtocol(f.transport);
    if (!proto.empty()) w.entry("transport-protocol", proto);
    if (f.codecCount != 0) {
        // One list per operation, in the order the operations first appear.
        w.str("codec");
        w.beginDict();
        for (uint8_t i = 0; i < f.codecCount; ++i) {
            bool seen = false;
            for (uint8_t j = 0; j < i; ++j) seen = seen || f.codec[j].key == f.codec[i].key;
            if (seen) continue;
            w.str(f.codec[i].key);
            w.beginList();
            for (uint8_t j = i; j < f.codecCount; ++j) {
                if (f.codec[j].key != f.codec[i].key) continue;
                std::string_view v = f.codec[j].value;
                while (!v.empty()) {
                    const size_t comma = v.find(',');
                    const std::string_view item = v.substr(0, comma);
                    if (!item.empty()) w.str(item);
                    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
                }
            }
            w.end();
        }
        w.end();
    }
    if (f.repacketize > 0) {
        w.str("repacketize");
        w.integer(f.repacketize);
    }
    if (f.tos >= 0) {
        w.str("TOS");
        w.integer(f.tos);
    }
    if (f.deleteDelay >= 0) {
        w.str("delete delay");
        w.integer(f.deleteDelay);
    }
    for (uint8_t i = 0; i < f.dictCount; ++i) w.entry(f.dict[i].key, f.dict[i].value);
}

}  // namespace osprey::rtpengine
