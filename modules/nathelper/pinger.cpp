// NAT keepalives (see pinger.h).
#include "modules/nathelper/pinger.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/send.h"
#include "core/proc/child.h"
#include "core/route/msg_context.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/uri.h"
#include "core/timer/clock.h"
#include "mem/shm.h"
#include "modules/usrloc/api.h"

namespace osprey::nathelper {

namespace {

PingSettings g_cfg;
const usrloc::Api* g_ul = nullptr;
PingStats* g_stats = nullptr;
unsigned g_index = 0;  // this process among natping_processes
uint64_t g_counter = 0;
uint32_t* g_enabled = nullptr;  // in shm: nathelper.enable_ping

constexpr std::string_view kTagPrefix = "nhp";
constexpr std::string_view kCallIdPrefix = "nhping.";
constexpr int64_t kMinTickMs = 10;

// One binding copied out of its slot (offsets into Batch::bytes).
struct Item {
    uint32_t off[5];
    uint32_t len[5];
    uint32_t flags;
    int64_t lastKeepalive;
};
enum : uint8_t { kAor, kUri, kDest, kSocket, kPath };

struct Batch {
    std::string bytes;
    std::vector<Item> items;
    std::string_view text(const Item& it, int f) const {
        return std::string_view(bytes).substr(it.off[f], it.len[f]);
    }
};

// Copies what a ping needs, under the slot lock: a few appends per binding, no allocation
// once the batch has grown to the largest slot.
void collect(void* user, std::string_view aor, const usrloc::ContactData& c) {
    auto* b = static_cast<Batch*>(user);
    if (g_cfg.disableMask & c.flags) return;
    if (g_cfg.natedOnly && !(g_cfg.natMask & c.flags)) return;
    Item it;
    const std::string_view f[5] = {aor, c.uri, c.received.empty() ? c.uri : c.received, c.socket,
                                   c.path};
    for (int i = 0; i < 5; ++i) {
        it.off[i] = static_cast<uint32_t>(b->bytes.size());
        it.len[i] = static_cast<uint32_t>(f[i].size());
        b->bytes.append(f[i]);
    }
    it.flags = c.flags;
    it.lastKeepalive = c.lastKeepalive;
    b->items.push_back(it);
}

// The first URI of a Path vector ("<sip:p1;lr>, <sip:p2;lr>" -> "sip:p1;lr").
std::string_view firstPathUri(std::string_view path) {
    const size_t lt = path.find('<');
    if (lt == std::string_view::npos) return path.substr(0, path.find_first_of(", "));
    const size_t gt = path.find('>', lt);
    return gt == std::string_view::npos ? std::string_view() : path.substr(lt + 1, gt - lt - 1);
}

// Where the ping goes: a UDP address (names are never resolved here). False to skip.
bool destination(std::string_view uriText, net::SockAddr& out) {
    sip::SipUri u;
    if (sip::parseUri(uriText, u) != sip::UriError::Ok) return false;
    if (!u.transport.empty() &&
        !(u.transport.size() == 3 && strncasecmp(u.transport.data(), "udp", 3) == 0))
        return false;  // keepalives of stream transports are the connection's own business
    return net::parseIp(u.host, u.hasPort ? u.port : 5060, out);
}

int socketFor(std::string_view name, int family) {
    const auto all = net::listenSockets();
    if (!name.empty()) {
        for (size_t i = 0; i < all.size(); ++i)
            if (all[i].name == name && all[i].proto == net::Proto::Udp &&
                all[i].bound.family() == family)
                return static_cast<int>(i);
    }
    return net::chooseSocket(net::Proto::Udp, family, -1);
}

void appendHex(std::string& out, std::string_view s) {
    static const char* const kHex = "0123456789abcdef";
    for (unsigned char ch : s) {
        out.push_back(kHex[ch >> 4]);
        out.push_back(kHex[ch & 15]);
    }
}

// RFC 3261 §8.1.1: an OPTIONS outside any dialog, addressed to the binding itself.
size_t buildOptions(std::string& msg, const net::ListenSocket& ls, size_t table,
                    std::string_view aor, std::string_view uri) {
    ++g_counter;
    char num[64];
    msg.clear();
    msg.append(g_cfg.method).append(" ").append(uri).append(" SIP/2.0\r\n");
    msg.append(ls.viaPrefix);
    snprintf(num, sizeof num, "z9hG4bKnhp%x.%llx", static_cast<unsigned>(getpid()),
             static_cast<unsigned long long>(g_counter));
    msg.append(num).append("\r\nFrom: <").append(g_cfg.from).append(">;tag=");
    snprintf(num, sizeof num, "%.*s%zu.", static_cast<int>(kTagPrefix.size()), kTagPrefix.data(),
             table);
    msg.append(num);
    appendHex(msg, aor);
    msg.append("\r\nTo: <").append(uri).append(">\r\nCall-ID: ").append(kCallIdPrefix);
    snprintf(num, sizeof num, "%x.%llx@", static_cast<unsigned>(getpid()),
             static_cast<unsigned long long>(g_counter));
    msg.append(num).append(ls.host);
    msg.append("\r\nCSeq: 1 ").append(g_cfg.method);
    msg.append("\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
    return msg.size();
}

Batch& batch() {
    static Batch b;
    return b;
}

}  // namespace

bool configurePinger(const PingSettings& s, const usrloc::Api* ul, PingStats* st) {
    g_cfg = s;
    g_ul = ul;
    g_stats = st;
    g_enabled = static_cast<uint32_t*>(mem::shmAlloc(sizeof(uint32_t)));
    if (g_enabled == nullptr) return false;
    *g_enabled = 1;
    return true;
}

bool setPingEnabled(bool on) {
    if (g_enabled == nullptr) return false;
    __atomic_store_n(g_enabled, on ? 1u : 0u, __ATOMIC_RELAXED);
    return true;
}

size_t pingSlotCount() {
    size_t n = 0;
    for (size_t i = 0; g_ul != nullptr; ++i) {
        usrloc::Table* t = g_ul->tableAt(i);
        if (t == nullptr) break;
        n = std::max(n, g_ul->slots(t));
    }
    return n;
}

size_t pingSlot(size_t slot, int64_t nowSec) {
    static std::string msg;
    static constexpr char kUdpPing[4] = {0, 0, 0, 0};
    size_t sent = 0;
    for (size_t ti = 0; g_ul != nullptr; ++ti) {
        usrloc::Table* t = g_ul->tableAt(ti);
        if (t == nullptr) break;
        if (slot >= g_ul->slots(t)) continue;
        Batch& b = batch();
        b.bytes.clear();
        b.items.clear();
        g_ul->visitSlot(t, slot, &collect, &b);  // the slot is unlocked again from here
        for (const Item& it : b.items) {
            const bool sip = (it.flags & g_cfg.sipMask) != 0 || (!g_cfg.natedOnly && g_cfg.sipMask);
            const std::string_view aor = b.text(it, kAor), uri = b.text(it, kUri);
            if (sip && g_cfg.keepaliveTimeout > 0 &&
                nowSec - it.lastKeepalive > g_cfg.keepaliveTimeout) {
                if (g_ul->remove(t, aor, uri) > 0) {
                    stats::inc(g_stats->timeouts);
                    LM_INFO(
                        "nathelper: %.*s binding %.*s removed: no answer to keepalives for "
                        "%lld s",
                        static_cast<int>(aor.size()), aor.data(), static_cast<int>(uri.size()),
                        uri.data(), static_cast<long long>(nowSec - it.lastKeepalive));
                }
                continue;
            }
            const std::string_view path = b.text(it, kPath);
            net::Destination d;
            if (!destination(sip && !path.empty() ? firstPathUri(path) : b.text(it, kDest), d.addr))
                continue;
            d.socket = socketFor(b.text(it, kSocket), d.addr.family());
            const net::ListenSocket* ls = net::listenSocket(d.socket);
            if (ls == nullptr) continue;
            iovec iov;
            if (sip) {
                const size_t n = buildOptions(msg, *ls, ti, aor, uri);
                iov = {msg.data(), n};
            } else {
                iov = {const_cast<char*>(kUdpPing), sizeof kUdpPing};
            }
            if (net::send(d, &iov, 1)) {
                ++sent;
                stats::inc(g_stats->sent);
            }
        }
    }
    return sent;
}

int pingerMain(const proc::ChildContext& self) {
    g_index = self.index;
    const unsigned procs = static_cast<unsigned>(std::max(1, g_cfg.processes));
    const int64_t intervalMs = int64_t{g_cfg.interval} * 1000;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return 1;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = proc::signalFd();
    epoll_ctl(ep, EPOLL_CTL_ADD, proc::signalFd(), &ev);
    batch().items.reserve(256);

    // Slot k of n is due at roundStart + k * interval / n: one interval per full pass, with the
    // slots (and so the bindings, which hash evenly over them) spread evenly inside it.
    const size_t slots = pingSlotCount();
    size_t next = g_index;
    int64_t roundStart = timer::nowMs();
    LM_INFO("nathelper: natping process %d pinging every %d s, %zu of %zu slots per round",
            static_cast<int>(getpid()), g_cfg.interval, (slots + procs - 1 - g_index) / procs,
            slots);
    while (!proc::stopRequested()) {
        const int64_t now = timer::nowMs();
        const int64_t wall = usrloc::nowSeconds();
        while (next < slots &&
               roundStart + static_cast<int64_t>(next) * intervalMs / int64_t(slots) <= now) {
            // Switched off (nathelper.enable_ping 0): the round goes on without sending.
            if (__atomic_load_n(g_enabled, __ATOMIC_RELAXED) != 0) pingSlot(next, wall);
            next += procs;
        }
        if (next >= slots) {
            next = g_index;
            roundStart += intervalMs;
            if (roundStart + intervalMs < now) roundStart = now;  // fell a round behind
        }
        const int64_t due = roundStart + static_cast<int64_t>(next) * intervalMs / int64_t(slots);
        // At least kMinTickMs between wake-ups: a big table at a short interval is then served
        // a few slots per wake-up instead of one wake-up per slot.
        const int timeout =
            static_cast<int>(std::clamp<int64_t>(due - timer::nowMs(), kMinTickMs, 1000));
        epoll_event evs[2];
        const int n = epoll_wait(ep, evs, 2, timeout);
        if (n > 0) proc::handleSignals();
    }
    close(ep);
    return 0;
}

bool takeKeepaliveReply(route::MsgContext& mc) {
    if (g_ul == nullptr || g_cfg.sipMask == 0) return false;
    sip::SipMsg& msg = mc.msg;
    const sip::HeaderField* cid = sip::findHeader(msg, sip::HeaderKind::CallId);
    if (cid == nullptr || cid->value.substr(0, kCallIdPrefix.size()) != kCallIdPrefix) return false;
    const sip::FromToBody* from = sip::getFrom(msg);
    const sip::FromToBody* to = sip::getTo(msg);
    if (from == nullptr || to == nullptr) return false;
    // tag = "nhp<table>.<hex aor>"
    std::string_view tag = from->tag;
    if (tag.substr(0, kTagPrefix.size()) != kTagPrefix) return false;
    tag.remove_prefix(kTagPrefix.size());
    const size_t dot = tag.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 2) return true;  // ours, but mangled
    size_t table = 0;
    for (char ch : tag.substr(0, dot)) table = table * 10 + static_cast<size_t>(ch - '0');
    const std::string_view hex = tag.substr(dot + 1);
    char aor[usrloc::kMaxAorLen];
    if (hex.size() % 2 != 0 || hex.size() / 2 > sizeof aor) return true;
    auto nib = [](char ch) -> int {
        return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
    };
    for (size_t i = 0; i < hex.size() / 2; ++i) {
        const int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return true;
        aor[i] = static_cast<char>(hi << 4 | lo);
    }
    usrloc::Table* t = g_ul->tableAt(table);
    if (t != nullptr && g_ul->keepalive(t, {aor, hex.size() / 2}, to->addr.uriText))
        stats::inc(g_stats->answered);
    return true;  // an answer to our ping goes no further
}

}  // namespace osprey::nathelper
