// The Redis layout of the location store (redis_codec.h).
#include "modules/usrloc/redis_codec.h"

#include <cstdint>
#include <cstring>

namespace osprey::usrloc {

namespace {

constexpr uint8_t kVersion = 1;

template <class T>
void put(std::string& s, T v) {
    s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void putText(std::string& s, std::string_view t) {
    put(s, static_cast<uint16_t>(t.size()));
    s.append(t);
}

struct Cursor {
    std::string_view in;
    bool ok = true;
    template <class T>
    T num() {
        T v{};
        if (!ok || in.size() < sizeof v) {
            ok = false;
            return v;
        }
        std::memcpy(&v, in.data(), sizeof v);
        in.remove_prefix(sizeof v);
        return v;
    }
    std::string_view text() {
        const uint16_t n = num<uint16_t>();
        if (!ok || in.size() < n) {
            ok = false;
            return {};
        }
        std::string_view t = in.substr(0, n);
        in.remove_prefix(n);
        return t;
    }
};

}  // namespace

std::string redisKey(std::string_view table, std::string_view aor) {
    std::string k("osprey:loc:");
    if (table != "location") {
        k.append(table);
        k.push_back(':');
    }
    k.append(aor);
    return k;
}

std::string encodeContact(const ContactData& c, const Owner& owner) {
    std::string s;
    s.reserve(64 + c.uri.size() + c.callId.size() + c.path.size() + c.received.size() +
              c.userAgent.size() + c.instance.size() + c.socket.size() + owner.node.size() +
              owner.uri.size());
    put(s, kVersion);
    put(s, c.expires);
    put(s, c.lastModified);
    put(s, c.cseq);
    put(s, c.regId);
    put(s, static_cast<int32_t>(c.q));
    put(s, c.flags);
    for (std::string_view t : {c.uri, c.callId, c.path, c.received, c.userAgent, c.instance,
                               c.socket, owner.node, owner.uri})
        putText(s, t);
    return s;
}

bool decodeContact(std::string_view value, ContactData* out, Owner* owner) {
    Cursor r{value};
    if (r.num<uint8_t>() != kVersion) return false;
    ContactData c;
    c.expires = r.num<int64_t>();
    c.lastModified = r.num<int64_t>();
    c.cseq = r.num<uint32_t>();
    c.regId = r.num<uint32_t>();
    c.q = r.num<int32_t>();
    c.flags = r.num<uint32_t>();
    c.uri = r.text();
    c.callId = r.text();
    c.path = r.text();
    c.received = r.text();
    c.userAgent = r.text();
    c.instance = r.text();
    c.socket = r.text();
    Owner o;
    o.node = r.text();
    o.uri = r.text();
    if (!r.ok || c.uri.empty()) return false;
    *out = c;
    if (owner != nullptr) *owner = o;
    return true;
}

std::string ownerPath(const ContactData& c, const Owner& owner, std::string_view self) {
    if (owner.node == self || owner.uri.empty() || !c.path.empty()) return {};
    const std::string_view proto = c.socket.substr(0, 4);
    if (proto != "tcp:" && proto != "tls:") return {};
    std::string p("<");
    p.append(owner.uri).append(";lr>");
    return p;
}

void startInvalidation(std::string& payload, std::string_view node) {
    payload.assign(node).push_back('\n');
}

void addInvalidation(std::string& payload, std::string_view table, std::string_view aor) {
    payload.append(table).append("\n").append(aor).append("\n");
}

}  // namespace osprey::usrloc
