// SDP parser; see sdp.h. One pass over the lines, no allocation.
#include "core/sip/sdp.h"

#include "core/sip/text.h"

namespace osprey::sip {

namespace {

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

bool equalsNoCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

// Decimal number of at most 10 digits, no sign; false if anything else or above max.
bool parseDecimal(std::string_view t, uint64_t max, uint64_t& out) {
    if (t.empty() || t.size() > 10) return false;
    uint64_t v = 0;
    for (char c : t) {
        if (!isDigit(c)) return false;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (v > max) return false;
    out = v;
    return true;
}

// The next field separated by SP (runs of SP and HT are tolerated); empty at the end.
std::string_view nextField(std::string_view& rest) {
    size_t b = 0;
    while (b < rest.size() && (rest[b] == ' ' || rest[b] == '\t')) ++b;
    size_t e = b;
    while (e < rest.size() && rest[e] != ' ' && rest[e] != '\t') ++e;
    std::string_view f = rest.substr(b, e - b);
    rest.remove_prefix(e);
    return f;
}

// An IP4 or IP6 connection address is a literal of its family or a domain name (RFC 8866
// §5.7, §9 unicast-address); other address types are only checked for printable octets.
bool addressCharsOk(std::string_view a, SdpAddrFamily f) {
    const bool ip6Literal = f == SdpAddrFamily::Ip6 && a.find(':') != std::string_view::npos;
    for (char c : a) {
        bool ok;
        if (ip6Literal)
            ok = isDigit(c) || (lower(c) >= 'a' && lower(c) <= 'f') || c == ':' || c == '.';
        else if (f != SdpAddrFamily::Other)  // dotted quad or domain name
            ok = isDigit(c) || (lower(c) >= 'a' && lower(c) <= 'z') || c == '.' || c == '-';
        else
            ok = static_cast<unsigned char>(c) > ' ' && c != 0x7f;
        if (!ok) return false;
    }
    return true;
}

// <nettype> <addrtype> <connection-address>, the three fields already split.
bool fillConnection(std::string_view net, std::string_view type, std::string_view addr,
                    SdpConnection& c) {
    if (net.empty() || type.empty() || addr.empty()) return false;
    c.netType = net;
    c.addrType = type;
    c.family = equalsNoCase(type, "IP4")   ? SdpAddrFamily::Ip4
               : equalsNoCase(type, "IP6") ? SdpAddrFamily::Ip6
                                           : SdpAddrFamily::Other;
    size_t slash = addr.find('/');
    c.address = addr.substr(0, slash);
    c.suffix = slash == std::string_view::npos ? std::string_view{} : addr.substr(slash);
    if (c.address.empty() || !addressCharsOk(c.address, c.family)) return false;
    for (char ch : c.suffix)
        if (!isDigit(ch) && ch != '/') return false;
    if (c.suffix == "/" || c.suffix.find("//") != std::string_view::npos ||
        (!c.suffix.empty() && c.suffix.back() == '/'))
        return false;
    c.present = true;
    return true;
}

bool parseConnectionValue(std::string_view value, SdpConnection& c) {
    std::string_view net = nextField(value), type = nextField(value), addr = nextField(value);
    if (!nextField(value).empty()) return false;
    return fillConnection(net, type, addr, c);
}

bool parseOrigin(std::string_view value, Sdp& s) {
    std::string_view f[6];
    for (std::string_view& x : f) x = nextField(value);
    if (f[5].empty() || !nextField(value).empty()) return false;
    s.originUser = f[0];
    s.sessionId = f[1];
    s.sessionVersion = f[2];
    return fillConnection(f[3], f[4], f[5], s.origin);
}

SdpErrc parseMediaLine(std::string_view value, SdpMedia& m) {
    m.media = nextField(value);
    std::string_view port = nextField(value);
    m.proto = nextField(value);
    m.formats = trim(value);
    if (m.media.empty() || port.empty() || m.proto.empty() || m.formats.empty())
        return SdpErrc::BadMedia;
    size_t slash = port.find('/');
    m.port = port.substr(0, slash);
    if (!parseSdpPort(m.port, m.portNumber)) return SdpErrc::BadPort;
    if (slash != std::string_view::npos) {
        uint64_t n = 0;
        if (!parseDecimal(port.substr(slash + 1), 65535, n) || n == 0) return SdpErrc::BadPort;
        m.portCount = static_cast<uint16_t>(n);
    }
    return SdpErrc::Ok;
}

bool parseRtcp(std::string_view value, SdpRtcp& r) {
    r.port = nextField(value);
    if (!parseSdpPort(r.port, r.portNumber)) return false;
    if (!trim(value).empty() && !parseConnectionValue(value, r.connection)) return false;
    r.present = true;
    return true;
}

bool directionOf(std::string_view name, SdpDirection& d) {
    if (name == "sendrecv")
        d = SdpDirection::SendRecv;
    else if (name == "sendonly")
        d = SdpDirection::SendOnly;
    else if (name == "recvonly")
        d = SdpDirection::RecvOnly;
    else if (name == "inactive")
        d = SdpDirection::Inactive;
    else
        return false;
    return true;
}

// Per-parse state: where the lines of the current section go.
class Parser {
public:
    Parser(std::string_view body, Sdp& out) : body_(body), s_(out) {}

    SdpError run() {
        s_ = Sdp{};
        size_t pos = 0;
        bool first = true;
        while (pos < body_.size()) {
            size_t eol = body_.find('\n', pos);
            size_t end = eol == std::string_view::npos ? body_.size() : eol;
            size_t next = eol == std::string_view::npos ? body_.size() : eol + 1;
            std::string_view line = body_.substr(pos, end - pos);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            lineStart_ = pos;
            pos = next;
            if (trim(line).empty()) continue;  // blank lines (a trailing CRLF, sloppy senders)
            if (SdpErrc e = onLine(line, first); e != SdpErrc::Ok)
                return {e, static_cast<uint32_t>(lineStart_)};
            first = false;
        }
        if (first) return {SdpErrc::Empty, 0};
        closeSection(body_.size());
        if (s_.mediaCount == 0) s_.session = body_;
        for (size_t i = 0; i < s_.mediaCount; ++i)
            if (!mediaDirSet_[i]) s_.media[i].direction = s_.direction;
        return {};
    }

private:
    SdpErrc onLine(std::string_view line, bool first) {
        if (line.size() < 2 || line[1] != '=' ||
            !((line[0] >= 'a' && line[0] <= 'z') || (line[0] >= 'A' && line[0] <= 'Z')))
            return SdpErrc::BadLine;
        for (char c : line)
            if (c == '\0' || c == '\r') return SdpErrc::BadLine;
        char type = line[0];
        std::string_view value = line.substr(2);
        if (first && type != 'v') return SdpErrc::MissingVersion;
        switch (type) {
            case 'v':
                return trim(value) == "0" ? SdpErrc::Ok : SdpErrc::BadVersion;
            case 'o':
                return parseOrigin(value, s_) ? SdpErrc::Ok : SdpErrc::BadOrigin;
            case 's':
                if (!media_) s_.sessionName = value;
                return SdpErrc::Ok;
            case 'c': {
                SdpConnection& c = media_ ? media_->connection : s_.connection;
                if (c.present) return SdpErrc::Ok;  // layered multicast: the first one counts
                return parseConnectionValue(value, c) ? SdpErrc::Ok : SdpErrc::BadConnection;
            }
            case 'm':
                return onMedia(value);
            case 'a':
                return onAttribute(line, value);
            default:
                return SdpErrc::Ok;  // i= u= e= p= b= t= r= z= k= and unknown letters
        }
    }

    SdpErrc onMedia(std::string_view value) {
        closeSection(lineStart_);
        if (s_.mediaCount == Sdp::kMaxMedia) return SdpErrc::TooManyMedia;
        if (s_.mediaCount == 0) s_.session = body_.substr(0, lineStart_);
        media_ = &s_.media[s_.mediaCount++];
        sectionStart_ = lineStart_;
        media_->attributes.first = static_cast<uint16_t>(s_.attributeCount);
        return parseMediaLine(value, *media_);
    }

    SdpErrc onAttribute(std::string_view line, std::string_view value) {
        if (s_.attributeCount == Sdp::kMaxAttributes) return SdpErrc::TooManyAttributes;
        SdpAttribute a;
        size_t colon = value.find(':');
        a.name = value.substr(0, colon);
        a.hasValue = colon != std::string_view::npos;
        if (a.hasValue) a.value = value.substr(colon + 1);
        a.line = line;
        if (a.name.empty()) return SdpErrc::BadAttribute;
        s_.attributeStore[s_.attributeCount++] = a;
        SdpAttributeRange& r = media_ ? media_->attributes : s_.attributes;
        ++r.count;

        SdpDirection d;
        if (!a.hasValue && directionOf(a.name, d)) {
            if (media_) {
                media_->direction = d;
                mediaDirSet_[s_.mediaCount - 1] = true;
            } else {
                s_.direction = d;
            }
        } else if (media_ && a.name == "rtcp") {
            if (!a.hasValue || !parseRtcp(a.value, media_->rtcp)) return SdpErrc::BadAttribute;
        } else if (media_ && a.name == "rtcp-mux") {
            media_->rtcpMux = true;
        }
        return SdpErrc::Ok;
    }

    // The current media section ends where the next begins (or at the end of the body).
    void closeSection(size_t end) {
        if (media_) media_->section = body_.substr(sectionStart_, end - sectionStart_);
    }

    std::string_view body_;
    Sdp& s_;
    SdpMedia* media_ = nullptr;
    size_t lineStart_ = 0;
    size_t sectionStart_ = 0;
    bool mediaDirSet_[Sdp::kMaxMedia] = {};
};

}  // namespace

const char* sdpErrcName(SdpErrc c) {
    switch (c) {
        case SdpErrc::Ok:
            return "Ok";
        case SdpErrc::Empty:
            return "Empty";
        case SdpErrc::BadLine:
            return "BadLine";
        case SdpErrc::MissingVersion:
            return "MissingVersion";
        case SdpErrc::BadVersion:
            return "BadVersion";
        case SdpErrc::BadOrigin:
            return "BadOrigin";
        case SdpErrc::BadConnection:
            return "BadConnection";
        case SdpErrc::BadMedia:
            return "BadMedia";
        case SdpErrc::BadPort:
            return "BadPort";
        case SdpErrc::BadAttribute:
            return "BadAttribute";
        case SdpErrc::TooManyMedia:
            return "TooManyMedia";
        case SdpErrc::TooManyAttributes:
            return "TooManyAttributes";
    }
    return "Unknown";
}

const SdpAttribute* Sdp::findAttribute(SdpAttributeRange r, std::string_view name) const {
    for (uint16_t i = 0; i < r.count; ++i)
        if (attributeStore[r.first + i].name == name) return &attributeStore[r.first + i];
    return nullptr;
}

SdpError parseSdp(std::string_view body, Sdp& out) {
    return Parser(body, out).run();
}

bool parseSdpPort(std::string_view text, uint16_t& out) {
    uint64_t v = 0;
    if (text.size() > 5 || !parseDecimal(text, 65535, v)) return false;
    out = static_cast<uint16_t>(v);
    return true;
}

bool parseIceCandidate(std::string_view value, IceCandidate& c) {
    c = IceCandidate{};
    uint64_t n = 0;
    c.foundation = nextField(value);
    if (c.foundation.empty() || c.foundation.size() > 32) return false;
    if (!parseDecimal(nextField(value), 256, n) || n == 0) return false;  // component-id
    c.component = static_cast<uint32_t>(n);
    c.transport = nextField(value);
    if (c.transport.empty()) return false;
    if (!parseDecimal(nextField(value), 0xffffffffu, n)) return false;
    c.priority = static_cast<uint32_t>(n);
    c.address = nextField(value);
    c.port = nextField(value);
    if (c.address.empty() || !parseSdpPort(c.port, c.portNumber)) return false;
    if (nextField(value) != "typ") return false;
    c.type = nextField(value);
    if (c.type.empty()) return false;
    for (;;) {
        std::string_view name = nextField(value);
        if (name.empty()) return true;
        std::string_view v = nextField(value);
        if (v.empty()) return false;  // extensions come in name-value pairs
        if (name == "raddr")
            c.relatedAddress = v;
        else if (name == "rport") {
            uint16_t p;
            if (!parseSdpPort(v, p)) return false;
            c.relatedPort = v;
        }
    }
}

}  // namespace osprey::sip
