// Relay instance sets and their shared health (relay_set.h).
#include "core/relay/relay_set.h"

#include "core/hash/fnv1a.h"
#include "core/net/resolve.h"
#include "mem/shm.h"

namespace osprey::relay {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool parseUnsigned(std::string_view s, unsigned max, unsigned& out) {
    if (s.empty() || s.size() > 9) return false;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > max) return false;
    out = v;
    return true;
}

// "udp:host:port[=weight]", "udp6:[v6]:port[=weight]" or "host:port[=weight]".
bool parseNode(std::string_view word, Node& n, std::string& err) {
    n.url = std::string(word);
    const size_t eq = word.rfind('=');
    if (eq != std::string_view::npos) {
        if (!parseUnsigned(word.substr(eq + 1), 1000000, n.weight) || n.weight == 0) {
            err = "bad weight in '" + n.url + "'";
            return false;
        }
        word = word.substr(0, eq);
    }
    int family = AF_UNSPEC;
    if (word.starts_with("udp6:")) {
        family = AF_INET6;
        word.remove_prefix(5);
    } else if (word.starts_with("udp:")) {
        word.remove_prefix(4);
    } else if (word.starts_with("unix:") || word.starts_with("tcp:")) {
        err = "only udp control sockets are supported: '" + n.url + "'";
        return false;
    }
    const size_t colon = word.rfind(':');
    unsigned port = 0;
    if (colon == std::string_view::npos || !parseUnsigned(word.substr(colon + 1), 65535, port) ||
        port == 0) {
        err = "expected host:port in '" + n.url + "'";
        return false;
    }
    std::string_view host = word.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (!net::resolveHost(host, static_cast<uint16_t>(port), family, &n.addr)) {
        err = "cannot resolve '" + std::string(host) + "' in '" + n.url + "'";
        return false;
    }
    return true;
}

}  // namespace

// The seed is not FNV's offset basis (a digit short of it) and is kept, so a call keeps mapping
// to the instance it always did.
uint64_t callHash(std::string_view callId) {
    return hash::fnv1a64(callId, 1469598103934665603ull);
}

bool RelaySets::parse(std::string_view spec, std::string& err) {
    while (!spec.empty()) {
        const size_t semi = spec.find(';');
        std::string_view part = trim(spec.substr(0, semi));
        spec = semi == std::string_view::npos ? std::string_view() : spec.substr(semi + 1);
        if (part.empty()) continue;
        Set s;
        const size_t sep = part.find("==");
        if (sep != std::string_view::npos) {
            if (!parseUnsigned(trim(part.substr(0, sep)), 1000000, s.id)) {
                err = "bad set id in '" + std::string(part) + "'";
                return false;
            }
            part = trim(part.substr(sep + 2));
        }
        while (!part.empty()) {
            const size_t sp = part.find_first_of(" \t");
            const std::string_view word = part.substr(0, sp);
            part = trim(sp == std::string_view::npos ? std::string_view() : part.substr(sp));
            if (word.empty()) continue;
            Node n;
            if (!parseNode(word, n, err)) return false;
            n.slot = nodeCount_++;
            s.nodes.push_back(std::move(n));
        }
        if (s.nodes.empty()) {
            err = "set " + std::to_string(s.id) + " has no instance";
            return false;
        }
        if (s.nodes.size() > kMaxNodesPerSet) {
            err = "set " + std::to_string(s.id) + " has more than 64 instances";
            return false;
        }
        // A repeated set id adds to that set, as a repeated Kamailio modparam does.
        Set* existing = nullptr;
        for (Set& e : sets_) {
            if (e.id == s.id) existing = &e;
        }
        if (existing == nullptr) {
            sets_.push_back(std::move(s));
        } else {
            for (Node& n : s.nodes) existing->nodes.push_back(std::move(n));
            if (existing->nodes.size() > kMaxNodesPerSet) {
                err = "set " + std::to_string(existing->id) + " has more than 64 instances";
                return false;
            }
        }
    }
    return true;
}

bool RelaySets::placeHealth() {
    if (nodeCount_ == 0) return true;
    health_ = static_cast<int64_t*>(mem::shmAllocZero(sizeof(int64_t) * nodeCount_));
    return health_ != nullptr;
}

void RelaySets::release() {
    if (health_ != nullptr) mem::shmFree(health_);
    health_ = nullptr;
    sets_.clear();
    nodeCount_ = 0;
}

const Set* RelaySets::find(unsigned id) const {
    for (const Set& s : sets_) {
        if (s.id == id) return &s;
    }
    return nullptr;
}

int64_t RelaySets::downUntil(const Node& n) const {
    return health_ == nullptr ? 0 : __atomic_load_n(&health_[n.slot], __ATOMIC_RELAXED);
}

bool RelaySets::up(const Node& n, int64_t nowMs) const {
    return downUntil(n) <= nowMs;
}

void RelaySets::markDown(const Node& n, int64_t untilMs) {
    if (health_ != nullptr) __atomic_store_n(&health_[n.slot], untilMs, __ATOMIC_RELAXED);
}

void RelaySets::markUp(const Node& n) {
    if (health_ != nullptr && downUntil(n) != 0) {
        __atomic_store_n(&health_[n.slot], 0, __ATOMIC_RELAXED);
    }
}

const Node* RelaySets::pick(const Set& s, uint64_t hash, uint64_t tried, int64_t nowMs) const {
    uint64_t total = 0;
    for (size_t i = 0; i < s.nodes.size(); ++i) {
        if ((tried >> i & 1) == 0 && up(s.nodes[i], nowMs)) total += s.nodes[i].weight;
    }
    if (total == 0) return nullptr;
    uint64_t point = hash % total;
    for (size_t i = 0; i < s.nodes.size(); ++i) {
        if ((tried >> i & 1) != 0 || !up(s.nodes[i], nowMs)) continue;
        if (point < s.nodes[i].weight) return &s.nodes[i];
        point -= s.nodes[i].weight;
    }
    return nullptr;
}

}  // namespace osprey::relay
