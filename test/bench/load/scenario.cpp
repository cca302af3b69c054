#include "test/bench/load/scenario.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace osprey::load {

std::optional<Scenario> parseScenario(std::string_view name) {
    if (name == "options") return Scenario::Options;
    if (name == "message") return Scenario::Message;
    if (name == "register") return Scenario::Register;
    if (name == "lookup") return Scenario::Lookup;
    if (name == "invite") return Scenario::Invite;
    return std::nullopt;
}

const char* scenarioName(Scenario s) {
    switch (s) {
        case Scenario::Options:
            return "options";
        case Scenario::Message:
            return "message";
        case Scenario::Register:
            return "register";
        case Scenario::Lookup:
            return "lookup";
        case Scenario::Invite:
            return "invite";
    }
    return "?";
}

namespace {
constexpr std::string_view kBranchPrefix = "z9hG4bK-ol.";

// snprintf's result as a length, 0 when truncated or failed.
size_t fitted(int n, size_t cap) {
    return (n < 0 || static_cast<size_t>(n) >= cap) ? 0 : static_cast<size_t>(n);
}

// Reads an unsigned number in `base` at `s[pos]`, advancing pos; false when there is none.
bool readNumber(std::string_view s, size_t& pos, int base, uint32_t& out) {
    uint64_t v = 0;
    size_t start = pos;
    for (; pos < s.size() && pos - start < 10; pos++) {
        char c = s[pos];
        int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
        if (d < 0 || d >= base) break;
        v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    }
    if (pos == start || v > 0xffffffffull) return false;
    out = static_cast<uint32_t>(v);
    return true;
}
}  // namespace

void formatBranch(char* out, uint32_t runId, const BranchId& id) {
    std::snprintf(out, 64, "%.*s%08x.%u.%u.%c", static_cast<int>(kBranchPrefix.size()),
                  kBranchPrefix.data(), runId, id.slot, id.generation, id.phase);
}

std::optional<BranchId> parseBranch(std::string_view viaValue, uint32_t runId) {
    size_t at = findNoCase(viaValue, ";branch=");
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view b = viaValue.substr(at + 8);
    if (b.substr(0, kBranchPrefix.size()) != kBranchPrefix) return std::nullopt;
    size_t pos = kBranchPrefix.size();
    uint32_t rid = 0;
    BranchId id;
    if (!readNumber(b, pos, 16, rid) || rid != runId) return std::nullopt;
    if (pos >= b.size() || b[pos++] != '.' || !readNumber(b, pos, 10, id.slot)) return std::nullopt;
    if (pos >= b.size() || b[pos++] != '.' || !readNumber(b, pos, 10, id.generation))
        return std::nullopt;
    if (pos + 1 >= b.size() || b[pos] != '.') return std::nullopt;
    id.phase = b[pos + 1];
    return id;
}

size_t writeInitialRequest(const RequestContext& ctx, uint64_t seq, const char* branch, char* out,
                           size_t cap) {
    const unsigned long long s = seq;
    const unsigned aor = static_cast<unsigned>(seq % ctx.aors) + 1;
    const char* local = ctx.local.c_str();
    const char* target = ctx.target.c_str();
    const char* from = ctx.localHost.c_str();
    const unsigned rid = ctx.runId;
    int n = -1;
    switch (ctx.scenario) {
        case Scenario::Options:
            n = std::snprintf(out, cap,
                              "OPTIONS sip:bench@%s SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
                              "Max-Forwards: 70\r\n"
                              "From: <sip:load@%s>;tag=%08x.%llu\r\n"
                              "To: <sip:bench@%s>\r\n"
                              "Call-ID: %llu-%08x@load\r\n"
                              "CSeq: %llu OPTIONS\r\n"
                              "Content-Length: 0\r\n\r\n",
                              target, local, branch, from, rid, s, target, s, rid, s);
            break;
        case Scenario::Message:
        case Scenario::Lookup: {
            char user[24];
            if (ctx.scenario == Scenario::Lookup)
                std::snprintf(user, sizeof(user), "user%u", aor);
            else
                std::snprintf(user, sizeof(user), "bench");
            n = std::snprintf(out, cap,
                              "MESSAGE sip:%s@%s SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
                              "Max-Forwards: 70\r\n"
                              "From: <sip:load@%s>;tag=%08x.%llu\r\n"
                              "To: <sip:%s@%s>\r\n"
                              "Call-ID: %llu-%08x@load\r\n"
                              "CSeq: %llu MESSAGE\r\n"
                              "Content-Type: text/plain\r\n"
                              "Content-Length: 16\r\n\r\n"
                              "benchmark text\r\n",
                              user, target, local, branch, from, rid, s, user, target, s, rid, s);
            break;
        }
        case Scenario::Register:
            n = std::snprintf(out, cap,
                              "REGISTER sip:%s SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
                              "Max-Forwards: 70\r\n"
                              "From: <sip:user%u@%s>;tag=%08x.%llu\r\n"
                              "To: <sip:user%u@%s>\r\n"
                              "Call-ID: %llu-%08x@load\r\n"
                              "CSeq: %llu REGISTER\r\n"
                              "Contact: <sip:user%u@%s>\r\n"
                              "Expires: 3600\r\n"
                              "Content-Length: 0\r\n\r\n",
                              target, local, branch, aor, ctx.targetHost.c_str(), rid, s, aor,
                              ctx.targetHost.c_str(), s, rid, s, aor, ctx.uas.c_str());
            break;
        case Scenario::Invite:
            n = std::snprintf(out, cap,
                              "INVITE sip:bench@%s SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
                              "Max-Forwards: 70\r\n"
                              "From: <sip:load@%s>;tag=%08x.%llu\r\n"
                              "To: <sip:bench@%s>\r\n"
                              "Call-ID: %llu-%08x@load\r\n"
                              "CSeq: 1 INVITE\r\n"
                              "Contact: <sip:load@%s>\r\n"
                              "Content-Length: 0\r\n\r\n",
                              target, local, branch, from, rid, s, target, s, rid, local);
            break;
    }
    return fitted(n, cap);
}

namespace {

// What the in-dialog requests take from the INVITE's final response.
struct DialogView {
    std::string_view from, to, callId, remoteTarget;
    std::vector<std::string_view> recordRoutes;  // in the order the response lists them
};

// Splits a header value at commas outside <...> and quotes (RFC 3261 section 7.3.1).
void splitList(std::string_view v, std::vector<std::string_view>& out) {
    bool inAngle = false, inQuote = false;
    size_t start = 0;
    for (size_t i = 0; i <= v.size(); i++) {
        char c = i < v.size() ? v[i] : ',';
        if (c == '"' && !inAngle) inQuote = !inQuote;
        if (inQuote) continue;
        if (c == '<') inAngle = true;
        if (c == '>') inAngle = false;
        if (c == ',' && !inAngle) {
            std::string_view item = v.substr(start, i - start);
            while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
                item.remove_prefix(1);
            while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
                item.remove_suffix(1);
            if (!item.empty()) out.push_back(item);
            start = i + 1;
        }
    }
}

DialogView dialogOf(const SplitMessage& r) {
    DialogView d;
    for (int i = 0; i < r.count; i++) {
        const HeaderLine& h = r.headers[i];
        if (headerIs(h.name, "from", 'f')) {
            d.from = h.value;
        } else if (headerIs(h.name, "to", 't')) {
            d.to = h.value;
        } else if (headerIs(h.name, "call-id", 'i')) {
            d.callId = h.value;
        } else if (headerIs(h.name, "record-route")) {
            splitList(h.value, d.recordRoutes);
        } else if (headerIs(h.name, "contact", 'm') && d.remoteTarget.empty()) {
            std::string_view c = h.value;
            size_t lt = c.find('<'), gt = c.find('>');
            d.remoteTarget =
                (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt)
                    ? c.substr(lt + 1, gt - lt - 1)
                    : c.substr(0, c.find(';'));
        }
    }
    return d;
}

int sv(std::string_view s) {
    return static_cast<int>(s.size());
}

// A request inside the dialog of a 2xx: to its remote target, through the route set (the
// Record-Route entries reversed, RFC 3261 section 12.1.2).
size_t writeInDialog(const RequestContext& ctx, const SplitMessage& response, const char* method,
                     unsigned cseq, const char* branch, char* out, size_t cap) {
    DialogView d = dialogOf(response);
    if (d.remoteTarget.empty()) return 0;
    std::string routes;
    for (auto it = d.recordRoutes.rbegin(); it != d.recordRoutes.rend(); ++it) {
        routes += "Route: ";
        routes.append(*it);
        routes += "\r\n";
    }
    int n = std::snprintf(out, cap,
                          "%s %.*s SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
                          "%s"
                          "Max-Forwards: 70\r\n"
                          "From: %.*s\r\n"
                          "To: %.*s\r\n"
                          "Call-ID: %.*s\r\n"
                          "CSeq: %u %s\r\n"
                          "Content-Length: 0\r\n\r\n",
                          method, sv(d.remoteTarget), d.remoteTarget.data(), ctx.local.c_str(),
                          branch, routes.c_str(), sv(d.from), d.from.data(), sv(d.to), d.to.data(),
                          sv(d.callId), d.callId.data(), cseq, method);
    return fitted(n, cap);
}

}  // namespace

size_t writeAck2xx(const RequestContext& ctx, const SplitMessage& response, const char* branch,
                   char* out, size_t cap) {
    return writeInDialog(ctx, response, "ACK", 1, branch, out, cap);
}

size_t writeBye(const RequestContext& ctx, const SplitMessage& response, const char* branch,
                char* out, size_t cap) {
    return writeInDialog(ctx, response, "BYE", 2, branch, out, cap);
}

size_t writeAckNon2xx(const RequestContext& ctx, const SplitMessage& response, const char* branch,
                      char* out, size_t cap) {
    DialogView d = dialogOf(response);
    int n = std::snprintf(out, cap,
                          "ACK sip:bench@%s SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
                          "Max-Forwards: 70\r\n"
                          "From: %.*s\r\n"
                          "To: %.*s\r\n"
                          "Call-ID: %.*s\r\n"
                          "CSeq: 1 ACK\r\n"
                          "Content-Length: 0\r\n\r\n",
                          ctx.target.c_str(), ctx.local.c_str(), branch, sv(d.from), d.from.data(),
                          sv(d.to), d.to.data(), sv(d.callId), d.callId.data());
    return fitted(n, cap);
}

}  // namespace osprey::load
