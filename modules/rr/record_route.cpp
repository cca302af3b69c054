// Record-Route lines, written per copy (record_route.h).
#include "modules/rr/record_route.h"

#include <cstring>

#include "core/net/listen_socket.h"
#include "core/route/copy_hooks.h"
#include "core/route/msg_context.h"
#include "core/sip/builder_via.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"

namespace osprey::rr {

namespace {

constexpr uint16_t kDefaultPort = 5060;
constexpr size_t kMaxParams = 512;
// "Record-Route: <sip:" + ":65535;transport=tls;r2=on;lr=on;ftag=" + ">\r\n", rounded up.
constexpr size_t kLineOverhead = 80;

// What record_route() and add_rr_param() leave on a message (in its arena).
struct RrState {
    const RrOptions* opts = nullptr;
    bool recordRoute = false;
    std::string_view params;  // ";a=b;c", in msg.arena
};

class Writer {
public:
    Writer(char* out, size_t cap) : out_(out), cap_(cap) {}
    void put(std::string_view s) {
        if (s.empty()) return;  // an empty view may have no data pointer (memcpy from null)
        if (len_ + s.size() > cap_) {
            ok_ = false;
            return;
        }
        std::memcpy(out_ + len_, s.data(), s.size());
        len_ += s.size();
    }
    size_t done() const { return ok_ ? len_ : 0; }

private:
    char* out_;
    size_t cap_;
    size_t len_ = 0;
    bool ok_ = true;
};

bool rrLines(route::MsgContext& mc, const route::CopyTarget& t, void* arg, std::string_view* lines);

RrState* stateOf(route::MsgContext& mc, const RrOptions& o) {
    if (void* arg = route::findCopyHook(mc, &rrLines)) return static_cast<RrState*>(arg);
    RrState* st = mc.msg.arena.make<RrState>();
    if (st == nullptr) return nullptr;
    st->opts = &o;
    if (!route::addCopyHook(mc, &rrLines, st)) return nullptr;
    return st;
}

RrSide sideOf(const net::ListenSocket& s) {
    return RrSide{s.host, s.port, s.proto};
}

bool rrLines(route::MsgContext& mc, const route::CopyTarget& t, void* arg,
             std::string_view* lines) {
    *lines = {};
    auto* st = static_cast<RrState*>(arg);
    if (!st->recordRoute) return true;
    const net::ListenSocket* out = t.out != nullptr ? t.out : t.in;
    if (out == nullptr) return false;
    const RrOptions& o = *st->opts;
    std::string_view ftag;
    if (o.appendFromTag) {
        if (const sip::FromToBody* from = sip::getFrom(mc.msg); from != nullptr) ftag = from->tag;
    }
    const bool twice = t.in != nullptr && wantDoubleRr(t.in, out, o.doubleRr);
    // Exactly what the lines can need, so a message's inline arena is not spent on slack.
    const size_t perLine = kLineOverhead + ftag.size() + st->params.size();
    const size_t cap1 = perLine + out->host.size();
    const size_t cap2 = twice ? perLine + t.in->host.size() : 0;
    char* buf = static_cast<char*>(mc.msg.arena.alloc(cap1 + cap2));
    if (buf == nullptr) return false;
    size_t len = formatRecordRoute(sideOf(*out), twice, o, ftag, st->params, buf, cap1);
    if (len == 0) return false;
    if (twice) {
        const size_t second =
            formatRecordRoute(sideOf(*t.in), true, o, ftag, st->params, buf + len, cap2);
        if (second == 0) return false;
        len += second;
    }
    *lines = std::string_view(buf, len);
    return true;
}

bool appendParams(route::MsgContext& mc, RrState& st, std::string_view more) {
    if (st.params.size() + more.size() + 1 > kMaxParams) return false;
    char* p = static_cast<char*>(mc.msg.arena.alloc(st.params.size() + more.size() + 1));
    if (p == nullptr) return false;
    size_t n = st.params.size();
    if (n != 0) std::memcpy(p, st.params.data(), n);
    if (more.front() != ';') p[n++] = ';';
    std::memcpy(p + n, more.data(), more.size());
    st.params = std::string_view(p, n + more.size());
    return true;
}

}  // namespace

size_t formatRecordRoute(const RrSide& side, bool r2, const RrOptions& o, std::string_view ftag,
                         std::string_view params, char* out, size_t cap) {
    Writer w(out, cap);
    w.put("Record-Route: <sip:");
    w.put(side.host);
    if (side.port != kDefaultPort && side.port != 0) {
        char num[24];
        w.put(":");
        w.put(std::string_view(num, sip::formatDecimal(side.port, num)));
    }
    if (side.proto != net::Proto::Udp) {
        w.put(";transport=");
        w.put(config::protoName(side.proto));
    }
    if (r2) w.put(";r2=on");
    w.put(o.fullLr ? ";lr=on" : ";lr");
    if (!ftag.empty()) {
        w.put(";ftag=");
        w.put(ftag);
    }
    w.put(params);
    w.put(">\r\n");
    return w.done();
}

bool wantDoubleRr(const net::ListenSocket* in, const net::ListenSocket* out, int mode) {
    if (mode <= 0 || in == nullptr || out == nullptr) return false;
    if (mode >= 2) return true;
    return in->proto != out->proto || in->port != out->port || in->host != out->host;
}

bool validRrParams(std::string_view params) {
    if (params.empty() || params.size() > kMaxParams) return false;
    for (unsigned char c : params) {
        // Ends the URI, the header value or the line, or is not URI text at all.
        if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == '"' || c == '?')
            return false;
    }
    return params != ";";
}

int recordRoute(route::MsgContext& mc, const RrOptions& o, std::string_view params) {
    if (!mc.msg.isRequest()) return -1;
    if (!params.empty() && !validRrParams(params)) return -1;
    RrState* st = stateOf(mc, o);
    if (st == nullptr || st->recordRoute) return -1;  // Kamailio: double attempt to record-route
    if (!params.empty() && !appendParams(mc, *st, params)) return -1;
    st->recordRoute = true;
    return 1;
}

int addRrParam(route::MsgContext& mc, const RrOptions& o, std::string_view param) {
    if (!mc.msg.isRequest() || !validRrParams(param)) return -1;
    RrState* st = stateOf(mc, o);
    if (st == nullptr || !appendParams(mc, *st, param)) return -1;
    return 1;
}

}  // namespace osprey::rr
