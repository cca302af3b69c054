// SipPeer, ReceivedMsg and the request/response templates.
#include "test/support/sip_client.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstring>

#include "core/sip/builder.h"
#include "core/sip/from_to.h"
#include "core/sip/via.h"
#include "mem/pkg.h"

namespace osprey::testsupport {

namespace {

void ensurePkg() {
    if (!mem::pkgReady()) mem::pkgInit(16u << 20);
}

bool eqNoCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

bool sameName(const sip::HeaderField& h, std::string_view name) {
    const sip::HeaderKind k = sip::lookupHeaderKind(name);
    return k != sip::HeaderKind::Other ? h.kind == k : eqNoCase(h.name, name);
}

}  // namespace

// --- ReceivedMsg ---------------------------------------------------------------------------

ReceivedMsg::ReceivedMsg(std::string text) : text_(std::move(text)) {
    ensurePkg();
    parsed_ = sip::parseMsg(msg_, text_) && sip::parseHeaders(msg_, sip::HDR_EOH);
}

std::string ReceivedMsg::header(std::string_view name) {
    std::vector<std::string> all = headers(name);
    return all.empty() ? std::string() : all.front();
}

bool ReceivedMsg::has(std::string_view name) {
    return !headers(name).empty();
}

std::vector<std::string> ReceivedMsg::headers(std::string_view name) {
    std::vector<std::string> out;
    for (uint32_t i = 0; i < msg_.headerCount(); ++i) {
        const sip::HeaderField& h = msg_.header(i);
        if (sameName(h, name)) out.emplace_back(h.value);
    }
    return out;
}

std::vector<std::string> ReceivedMsg::vias() {
    std::vector<std::string> out;
    for (uint32_t i = 0; i < msg_.headerCount(); ++i) {
        sip::HeaderField& h = msg_.header(i);
        if (h.kind != sip::HeaderKind::Via) continue;
        for (const sip::ViaBody* v = sip::parseVia(msg_, h); v != nullptr; v = v->next) {
            out.emplace_back(v->text);
        }
    }
    return out;
}

std::string ReceivedMsg::topBranch() {
    return msg_.topVia != nullptr ? std::string(msg_.topVia->branch) : std::string();
}

std::optional<std::string> ReceivedMsg::viaParam(size_t index, std::string_view name) {
    size_t i = 0;
    for (uint32_t k = 0; k < msg_.headerCount(); ++k) {
        sip::HeaderField& h = msg_.header(k);
        if (h.kind != sip::HeaderKind::Via) continue;
        for (const sip::ViaBody* v = sip::parseVia(msg_, h); v != nullptr; v = v->next, ++i) {
            if (i != index) continue;
            std::string_view value;
            if (!sip::findUriParam(v->params, name, &value)) return std::nullopt;
            return std::string(value);
        }
    }
    return std::nullopt;
}

// --- SipPeer -------------------------------------------------------------------------------

SipPeer::SipPeer(int family) : family_(family) {
    open(htonl(INADDR_LOOPBACK));
}

SipPeer::SipPeer(const char* ipv4Loopback) : family_(AF_INET), ip_(ipv4Loopback) {
    in_addr a{};
    if (inet_pton(AF_INET, ipv4Loopback, &a) != 1) return;
    open(a.s_addr);
}

void SipPeer::open(in_addr_t ipv4) {
    const int family = family_;
    ensurePkg();
    fd_ = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    int buf = 4 << 20;  // floods of answers must not be dropped here (capped by rmem_max)
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = ipv4;
        len = sizeof *a;
    }
    if (bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        close(fd_);
        fd_ = -1;
        return;
    }
    port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                     : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

SipPeer::~SipPeer() {
    if (fd_ >= 0) close(fd_);
}

std::string SipPeer::ip() const {
    if (!ip_.empty()) return ip_;
    return family_ == AF_INET6 ? "::1" : "127.0.0.1";
}

std::string SipPeer::host() const {
    if (!ip_.empty()) return ip_;
    return family_ == AF_INET6 ? "[::1]" : "127.0.0.1";
}

bool SipPeer::sendTo(std::string_view text, uint16_t port) {
    sockaddr_storage ss{};
    socklen_t len;
    if (family_ == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons(port);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->sin_port = htons(port);
        len = sizeof *a;
    }
    return sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) ==
           static_cast<ssize_t>(text.size());
}

bool SipPeer::sendBack(std::string_view text, const ReceivedMsg& to) {
    const socklen_t len =
        to.from.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    return sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<const sockaddr*>(&to.from),
                  len) == static_cast<ssize_t>(text.size());
}

std::unique_ptr<ReceivedMsg> SipPeer::receiveMsg(int timeoutMs) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeoutMs) <= 0) return nullptr;
    std::string buf(65536, '\0');
    sockaddr_storage from{};
    socklen_t flen = sizeof from;
    const ssize_t n = recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT,
                               reinterpret_cast<sockaddr*>(&from), &flen);
    if (n < 0) return nullptr;
    buf.resize(static_cast<size_t>(n));
    auto m = std::make_unique<ReceivedMsg>(std::move(buf));
    m->from = from;
    return m;
}

std::unique_ptr<ReceivedMsg> SipPeer::receiveCall(std::string_view callId, int timeoutMs) {
    // A bounded number of unrelated messages, each with the full timeout at most.
    for (int i = 0; i < 1000; ++i) {
        std::unique_ptr<ReceivedMsg> m = receiveMsg(timeoutMs);
        if (m == nullptr) return nullptr;
        if (m->header("Call-ID") == callId) return m;
    }
    return nullptr;
}

// --- templates -----------------------------------------------------------------------------

std::string uniqueToken(std::string_view prefix) {
    static std::atomic<unsigned> counter{0};
    return std::string(prefix) + std::to_string(getpid()) + "x" + std::to_string(++counter);
}

std::string buildRequest(const SipPeer& from, SipRequest& r) {
    if (r.via.empty()) {
        r.via = "SIP/2.0/UDP " + from.hostPort() + ";branch=" + uniqueToken("z9hG4bK") + ";rport";
    }
    if (r.from.empty()) r.from = "<sip:alice@example.com>;tag=" + uniqueToken("ft");
    if (r.to.empty()) r.to = "<" + r.ruri + ">";
    if (r.callId.empty()) r.callId = uniqueToken("call-") + "@test";
    if (r.cseqMethod.empty()) r.cseqMethod = r.method;
    std::string s = r.method + " " + r.ruri + " SIP/2.0\r\n";
    s += "Via: " + r.via + "\r\n";
    if (r.maxForwards) s += "Max-Forwards: " + std::to_string(*r.maxForwards) + "\r\n";
    s += "From: " + r.from + "\r\n";
    s += "To: " + r.to + "\r\n";
    s += "Call-ID: " + r.callId + "\r\n";
    s += "CSeq: " + std::to_string(r.cseq) + " " + r.cseqMethod + "\r\n";
    s += r.extraHeaders;
    s += "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n";
    s += r.body;
    return s;
}

std::string buildResponse(ReceivedMsg& req, int status, std::string_view reason,
                          std::string_view toTag, std::string_view extra) {
    std::string s = "SIP/2.0 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
    for (const std::string& v : req.headers("Via")) s += "Via: " + v + "\r\n";
    s += "From: " + req.header("From") + "\r\n";
    std::string to = req.header("To");
    const sip::FromToBody* toBody = sip::getTo(req.msg());
    if (!toTag.empty() && toBody != nullptr && toBody->tag.empty()) {
        to += ";tag=" + std::string(toTag);
    }
    s += "To: " + to + "\r\n";
    s += "Call-ID: " + req.header("Call-ID") + "\r\n";
    s += "CSeq: " + req.header("CSeq") + "\r\n";
    s += std::string(extra);
    s += "Content-Length: 0\r\n\r\n";
    return s;
}

}  // namespace osprey::testsupport
