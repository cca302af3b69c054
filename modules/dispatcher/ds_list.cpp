// Laying out a destination list in shm (ds_list.h): sizes first, then one block, then the
// texts, sets and destinations placed in it.
#include "modules/dispatcher/ds_list.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <new>
#include <random>

#include "core/config/config.h"
#include "core/net/listen_socket.h"
#include "core/net/resolve.h"
#include "core/sip/uri.h"
#include "mem/shm.h"
#include "modules/dispatcher/ds_calls.h"

namespace osprey::dispatcher {

namespace {

struct Attrs {
    std::string_view duid, socket, pingFrom;
    int32_t weight = 0, rweight = 0, maxload = 0;
};

int32_t toInt(std::string_view v) {
    int32_t out = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    return ec == std::errc() && p == v.data() + v.size() ? out : -1;
}

// "name1=value1;name2=value2" (Kamailio's attrs column). Unknown names are kept in the text
// for the script and ignored here.
bool parseAttrs(std::string_view text, Attrs& a, std::string* why) {
    while (!text.empty()) {
        const size_t semi = text.find(';');
        std::string_view item = text.substr(0, semi);
        text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
        if (item.empty()) continue;
        const size_t eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            *why = "attribute '" + std::string(item) + "' is not name=value";
            return false;
        }
        const std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
        if (name == "weight" || name == "rweight" || name == "maxload") {
            const int32_t v = toInt(value);
            if (v < 0) {
                *why = std::string(name) + " '" + std::string(value) + "' is not a number";
                return false;
            }
            // Kamailio: a weight outside 1..100 leaves the destination out of the distribution.
            if (name == "weight") a.weight = v <= 100 ? v : 0;
            if (name == "rweight") a.rweight = v <= 100 ? v : 0;
            if (name == "maxload") a.maxload = v;
        } else if (name == "duid") {
            a.duid = value;
        } else if (name == "socket") {
            a.socket = value;
        } else if (name == "ping_from") {
            a.pingFrom = value;
        }
    }
    return true;
}

// The socket attribute must name a configured listen address ("udp:127.0.0.1:5060"). Modules
// load before the sockets open, so the socket itself is found when a request is sent
// (sendSocketOf).
bool knownSocket(std::string_view text, std::string* why) {
    config::ListenAddr a;
    if (!config::parseListenAddr(text, a, why)) return false;
    for (const config::ListenAddr& l : config::current().listen) {
        if (l.text() == a.text()) return true;
    }
    *why = "socket '" + std::string(text) + "' is not a listen address";
    return false;
}

// Resolves the URI's host (numeric, or a name at load time) and transport.
bool resolveDest(std::string_view uriText, uint32_t flags, Dest& d, std::string* why) {
    sip::SipUri uri;
    const sip::UriError e = sip::parseUri(uriText, uri);
    if (e != sip::UriError::Ok || uri.scheme == sip::UriScheme::Tel) {
        *why = "bad destination URI '" + std::string(uriText) + "'";
        return false;
    }
    d.proto = net::Proto::Udp;
    if (uri.scheme == sip::UriScheme::Sips) d.proto = net::Proto::Tls;
    if (uri.transport.size() == 3) {
        char t[3] = {static_cast<char>(uri.transport[0] | 0x20),
                     static_cast<char>(uri.transport[1] | 0x20),
                     static_cast<char>(uri.transport[2] | 0x20)};
        if (std::memcmp(t, "tcp", 3) == 0) d.proto = net::Proto::Tcp;
        if (std::memcmp(t, "tls", 3) == 0) d.proto = net::Proto::Tls;
    }
    const uint16_t port = uri.port != 0 ? uri.port : (d.proto == net::Proto::Tls ? 5061 : 5060);
    if (net::parseIp(uri.host, port, d.addr)) {
        d.hasAddr = true;
    } else if ((flags & kNoDnsResolve) == 0) {
        d.hasAddr = net::resolveHost(uri.host, port, AF_UNSPEC, &d.addr);
        if (!d.hasAddr) {
            *why = "cannot resolve '" + std::string(uri.host) + "'";
            return false;
        }
    }
    return true;
}

// Kamailio's weight table: each destination fills `weight` of the 100 slots, the last one
// fills what the sum leaves, and the slots are shuffled so consecutive calls spread.
void buildWeights(const List& l, Set& s) {
    unsigned n = 0;
    for (uint32_t i = 0; i < s.count && n < kWeightSlots; ++i) {
        const int32_t w = l.dest(s, i).weight;
        for (int32_t k = 0; k < w && n < kWeightSlots; ++k)
            s.weights[n++] = static_cast<uint16_t>(i);
    }
    if (n == 0) return;
    const uint16_t last = static_cast<uint16_t>(s.count - 1);
    while (n < kWeightSlots) s.weights[n++] = last;
    std::minstd_rand rng(static_cast<uint32_t>(s.id) * 2654435761u + 1);
    std::shuffle(s.weights, s.weights + kWeightSlots, rng);
    s.hasWeights = true;
}

const Dest* findOld(const List* prev, int32_t setid, std::string_view uri) {
    if (prev == nullptr) return nullptr;
    const Set* s = prev->findSet(setid);
    if (s == nullptr) return nullptr;
    for (uint32_t i = 0; i < s->count; ++i) {
        if (prev->dest(*s, i).uri.view() == uri) return &prev->dest(*s, i);
    }
    return nullptr;
}

size_t alignUp(size_t n) {
    return (n + 15) & ~size_t{15};
}

}  // namespace

int32_t adjustedPriority(const Dest& d) {
    if (d.priority <= 0) return d.priority;
    return d.priority -
           static_cast<int32_t>(d.latency.est.load(std::memory_order_relaxed)) / d.priority;
}

int sendSocketOf(const Dest& d) {
    if (d.socket.len == 0) return -1;
    config::ListenAddr a;
    std::string why;
    if (!config::parseListenAddr(d.socket.view(), a, &why)) return -1;
    const std::string want = a.text();
    const auto all = net::listenSockets();
    for (size_t i = 0; i < all.size(); ++i) {
        if (all[i].name == want) return static_cast<int>(i);
    }
    return -1;
}

const Set* List::findSet(int32_t id) const {
    uint32_t lo = 0, hi = nSets;
    while (lo < hi) {
        const uint32_t mid = (lo + hi) / 2;
        if (sets[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nSets && sets[lo].id == id ? &sets[lo] : nullptr;
}

void rebuildRweights(const List& l, Set& s) {
    int32_t sum = 0;
    for (uint32_t i = 0; i < s.count; ++i) {
        const Dest& d = l.dest(s, i);
        if (usable(d.flags.load(std::memory_order_relaxed))) sum += d.rweight;
    }
    if (sum <= 0) {
        s.hasRweights.store(false, std::memory_order_relaxed);
        return;
    }
    // Slots in proportion to rweight/sum over the active ones, truncated; the last active
    // destination fills the rest (Kamailio's rule). Slot writes race with readers harmlessly:
    // every value written is a valid destination.
    unsigned n = 0;
    int lastActive = -1;
    for (uint32_t i = 0; i < s.count; ++i) {
        const Dest& d = l.dest(s, i);
        if (!usable(d.flags.load(std::memory_order_relaxed)) || d.rweight <= 0) continue;
        lastActive = static_cast<int>(i);
        const unsigned share = static_cast<unsigned>(d.rweight * int32_t{kWeightSlots} / sum);
        for (unsigned k = 0; k < share && n < kWeightSlots; ++k)
            s.rweights[n++] = static_cast<uint16_t>(i);
    }
    while (n < kWeightSlots) s.rweights[n++] = static_cast<uint16_t>(lastActive);
    std::minstd_rand rng(static_cast<uint32_t>(s.id) * 40503u + 7);
    std::shuffle(s.rweights, s.rweights + kWeightSlots, rng);
    s.hasRweights.store(true, std::memory_order_release);
}

void rebuildLatencyTop(const List& l, Set& s) {
    int32_t best = INT32_MIN;
    for (uint32_t i = 0; i < s.count; ++i) {
        const Dest& d = l.dest(s, i);
        if (!usable(d.flags.load(std::memory_order_relaxed))) continue;
        best = std::max(best, d.adjPriority.load(std::memory_order_relaxed));
    }
    // Concurrent rebuilds (keepalive process, a worker's ds_mark_dst) may interleave; every
    // entry written is a valid destination of the set, and the next rebuild evens it out.
    uint16_t* top = l.latencyTop + s.first;
    uint32_t n = 0;
    for (uint32_t i = 0; i < s.count; ++i) {
        const Dest& d = l.dest(s, i);
        if (usable(d.flags.load(std::memory_order_relaxed)) &&
            d.adjPriority.load(std::memory_order_relaxed) == best) {
            top[n++] = static_cast<uint16_t>(i);
        }
    }
    s.topCount.store(n, std::memory_order_release);
}

List* buildList(const std::vector<Row>& rows, const List* previous, std::string* error) {
    // Order: set id ascending, then priority descending, then as written.
    std::vector<uint32_t> order(rows.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        if (rows[a].setid != rows[b].setid) return rows[a].setid < rows[b].setid;
        return rows[a].priority > rows[b].priority;
    });
    uint32_t nSets = 0;
    size_t textBytes = 0;
    for (size_t k = 0; k < order.size(); ++k) {
        const Row& r = rows[order[k]];
        if (k == 0 || rows[order[k - 1]].setid != r.setid) ++nSets;
        textBytes += r.uri.size() + r.attrs.size();
    }
    const size_t bytes = alignUp(sizeof(List)) + alignUp(nSets * sizeof(Set)) +
                         alignUp(rows.size() * sizeof(Dest)) +
                         alignUp(rows.size() * sizeof(uint16_t)) +
                         alignUp(rows.size() * sizeof(std::atomic<uint64_t>)) +
                         alignUp(rows.size() * sizeof(uint32_t)) +
                         alignUp(kLoadSlots * sizeof(uint32_t)) + textBytes;
    char* block = static_cast<char*>(mem::shmAlloc(bytes));
    if (block == nullptr) {
        *error =
            "out of shared memory for the destination list (" + std::to_string(bytes) + " bytes)";
        return nullptr;
    }
    List* l = new (block) List();
    l->bytes = bytes;
    l->nSets = nSets;
    l->nDests = static_cast<uint32_t>(rows.size());
    char* p = block + alignUp(sizeof(List));
    l->sets = reinterpret_cast<Set*>(p);
    p += alignUp(nSets * sizeof(Set));
    l->dests = reinterpret_cast<Dest*>(p);
    p += alignUp(rows.size() * sizeof(Dest));
    l->latencyTop = reinterpret_cast<uint16_t*>(p);
    p += alignUp(rows.size() * sizeof(uint16_t));
    l->loadKeys = reinterpret_cast<std::atomic<uint64_t>*>(p);
    for (size_t i = 0; i < rows.size(); ++i) new (&l->loadKeys[i]) std::atomic<uint64_t>(0);
    p += alignUp(rows.size() * sizeof(std::atomic<uint64_t>));
    l->loadNext = reinterpret_cast<uint32_t*>(p);
    p += alignUp(rows.size() * sizeof(uint32_t));
    l->loadFirst = reinterpret_cast<uint32_t*>(p);
    p += alignUp(kLoadSlots * sizeof(uint32_t));
    std::fill(l->loadFirst, l->loadFirst + kLoadSlots, kNoDest);
    char* text = p;
    auto keep = [&text](std::string_view s) {
        Text t{text, static_cast<uint32_t>(s.size())};
        std::memcpy(text, s.data(), s.size());
        text += s.size();
        return t;
    };
    auto within = [](const Text& whole, std::string_view whole0, std::string_view part) {
        if (part.empty()) return Text{};
        return Text{whole.p + (part.data() - whole0.data()), static_cast<uint32_t>(part.size())};
    };

    uint32_t setIdx = 0;
    bool ok = true;
    for (uint32_t k = 0; k < order.size() && ok; ++k) {
        const Row& r = rows[order[k]];
        if (k == 0 || rows[order[k - 1]].setid != r.setid) {
            Set* s = new (&l->sets[setIdx++]) Set();
            s->id = r.setid;
            s->first = k;
        }
        Set& s = l->sets[setIdx - 1];
        ++s.count;
        Dest* d = new (&l->dests[k]) Dest();
        std::string why;
        Attrs a;
        if (!parseAttrs(r.attrs, a, &why) || !resolveDest(r.uri, r.flags, *d, &why)) {
            *error = r.where + ": " + why;
            ok = false;
            break;
        }
        d->uri = keep(r.uri);
        d->attrs = keep(r.attrs);
        const std::string_view attrs0 = r.attrs;
        d->duid = within(d->attrs, attrs0, a.duid);
        d->socket = within(d->attrs, attrs0, a.socket);
        d->pingFrom = within(d->attrs, attrs0, a.pingFrom);
        d->loadSlot = loadSlotFor(a.duid);
        if (d->loadSlot != kZeroSlot) {  // the zero counter never changes: no chain
            l->loadNext[k] = l->loadFirst[d->loadSlot];
            l->loadFirst[d->loadSlot] = k;
        }
        d->priority = r.priority;
        d->adjPriority.store(r.priority, std::memory_order_relaxed);
        d->weight = a.weight;
        d->rweight = a.rweight;
        d->maxload = a.maxload;
        if (!a.socket.empty() && !knownSocket(a.socket, &why)) {
            *error = r.where + ": " + why;
            ok = false;
            break;
        }
        d->flags.store(r.flags, std::memory_order_relaxed);
        if (const Dest* old = findOld(previous, r.setid, r.uri)) {
            // The run-time state (inactive/trying found by probing or marking) survives a
            // reload; the flags the new list gives are added to it.
            const uint32_t oldFlags = old->flags.load(std::memory_order_relaxed);
            const uint32_t runtime = oldFlags & (kInactive | kTrying);
            d->flags.store(r.flags | runtime, std::memory_order_relaxed);
            d->failures.store(old->failures.load(std::memory_order_relaxed));
            d->latency.avg.store(old->latency.avg.load());
            d->latency.m2.store(old->latency.m2.load());
            d->latency.est.store(old->latency.est.load());
            d->latency.max.store(old->latency.max.load());
            d->latency.timeout.store(old->latency.timeout.load());
            d->latency.count.store(old->latency.count.load());
            d->adjPriority.store(adjustedPriority(*d), std::memory_order_relaxed);
        }
    }
    if (!ok) {
        freeList(l);
        return nullptr;
    }
    for (uint32_t i = 0; i < nSets; ++i) {
        Set& s = l->sets[i];
        s.defaultIdx = s.count - 1;
        buildWeights(*l, s);
        stateChanged(*l, s);
    }
    return l;
}

void freeList(List* l) {
    if (l == nullptr) return;
    l->~List();
    mem::shmFree(l);
}

}  // namespace osprey::dispatcher
