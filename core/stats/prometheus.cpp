// Prometheus exposition: the labelled families (kamailio_exporter's names) and the flat
// kamailio_<group>_<name> gauges (xhttp_prom's), from a snapshot.
#include "core/stats/prometheus.h"

#include <cstring>
#include <string_view>
#include <utility>

namespace osprey::stats {

namespace {

enum class Type { Counter, Gauge };

// A statistic that also appears as one sample of a labelled family.
struct Labelled {
    const char* group;
    const char* name;        // the statistic
    const char* family;      // nullptr: the statistic stays flat only
    const char* label;       // label name, nullptr for a family without labels
    const char* labelValue;  // the label's value for this statistic
    Type type;
    const char* help;
};

constexpr const char* kReqHelp = "Request counters";
constexpr const char* kReqRcvHelp = "Received requests by method";
constexpr const char* kRplHelp = "Reply counters";
constexpr const char* kRplRcvHelp = "Received replies by code";
constexpr const char* kShmHelp = "Shared memory sizes";
constexpr const char* kSlHelp = "Stateless replies by code";
constexpr const char* kSlTypeHelp = "Stateless replies by type";
constexpr const char* kTcpHelp = "TCP connection counters";
constexpr const char* kTmxCodeHelp = "Completed transactions by class";
constexpr const char* kTmxTypeHelp = "Transactions by type";
constexpr const char* kTmxHelp = "Ongoing transactions";
constexpr const char* kTmxRplHelp = "Transaction reply counters";

// Fixed mappings (kamailio_exporter's). Patterned ones follow in patternOf.
constexpr Labelled kFixed[] = {
    {"core", "rcv_requests", "kamailio_core_request_total", "method", "rcv", Type::Counter,
     kReqHelp},
    {"core", "fwd_requests", "kamailio_core_request_total", "method", "fwd", Type::Counter,
     kReqHelp},
    {"core", "drop_requests", "kamailio_core_request_total", "method", "drop", Type::Counter,
     kReqHelp},
    {"core", "err_requests", "kamailio_core_request_total", "method", "err", Type::Counter,
     kReqHelp},
    {"core", "unsupported_methods", "kamailio_core_rcv_request_total", "method", "unsupported",
     Type::Counter, kReqRcvHelp},
    {"core", "rcv_replies", "kamailio_core_reply_total", "type", "rcv", Type::Counter, kRplHelp},
    {"core", "fwd_replies", "kamailio_core_reply_total", "type", "fwd", Type::Counter, kRplHelp},
    {"core", "drop_replies", "kamailio_core_reply_total", "type", "drop", Type::Counter, kRplHelp},
    {"core", "err_replies", "kamailio_core_reply_total", "type", "err", Type::Counter, kRplHelp},
    {"core", "bad_URIs_rcvd", "kamailio_bad_uri_total", nullptr, nullptr, Type::Counter,
     "Messages with bad uri"},
    {"core", "bad_msg_hdr", "kamailio_bad_msg_hdr_total", nullptr, nullptr, Type::Counter,
     "Messages with bad message header"},
    {"shmem", "total_size", "kamailio_shm_bytes", "type", "total", Type::Gauge, kShmHelp},
    {"shmem", "used_size", "kamailio_shm_bytes", "type", "used", Type::Gauge, kShmHelp},
    {"shmem", "real_used_size", "kamailio_shm_bytes", "type", "real_used", Type::Gauge, kShmHelp},
    {"shmem", "max_used_size", "kamailio_shm_bytes", "type", "max_used", Type::Gauge, kShmHelp},
    {"shmem", "free_size", "kamailio_shm_bytes", "type", "free", Type::Gauge, kShmHelp},
    {"shmem", "fragments", "kamailio_shm_fragments", nullptr, nullptr, Type::Gauge,
     "Shared memory fragment count"},
    {"sl", "failures", "kamailio_sl_type_total", "type", "failure", Type::Counter, kSlTypeHelp},
    {"sl", "received_ACKs", "kamailio_sl_type_total", "type", "received_ack", Type::Counter,
     kSlTypeHelp},
    {"sl", "sent_err_replies", "kamailio_sl_type_total", "type", "sent_err_reply", Type::Counter,
     kSlTypeHelp},
    {"sl", "sent_replies", "kamailio_sl_type_total", "type", "sent_reply", Type::Counter,
     kSlTypeHelp},
    {"sl", "xxx_replies", "kamailio_sl_type_total", "type", "xxx_reply", Type::Counter,
     kSlTypeHelp},
    {"tcp", "current_opened_connections", "kamailio_tcp_connections", nullptr, nullptr, Type::Gauge,
     "Opened TCP connections"},
    {"tcp", "current_write_queue_size", "kamailio_tcp_writequeue", nullptr, nullptr, Type::Gauge,
     "TCP write queue size"},
    // A gauge among the tcp counters: flat only (its flat name is kamailio_tcp_partial_bytes).
    {"tcp", "partial_bytes", nullptr, nullptr, nullptr, Type::Gauge, nullptr},
    {"tmx", "UAC_transactions", "kamailio_tmx_type_total", "type", "uac", Type::Counter,
     kTmxTypeHelp},
    {"tmx", "UAS_transactions", "kamailio_tmx_type_total", "type", "uas", Type::Counter,
     kTmxTypeHelp},
    {"tmx", "active_transactions", "kamailio_tmx", "type", "active", Type::Gauge, kTmxHelp},
    {"tmx", "inuse_transactions", "kamailio_tmx", "type", "inuse", Type::Gauge, kTmxHelp},
};

// Patterned mappings: group, name prefix and suffix; the label value is what lies between.
struct Pattern {
    const char* group;
    const char* prefix;
    const char* suffix;
    const char* family;
    const char* label;
    Type type;
    const char* help;
    bool oneToken = false;  // the label value holds no '_' (rcv_replies_2xx_invite: flat only)
};
constexpr Pattern kPatterns[] = {
    // rcv_requests_invite -> method="invite"; rcv_replies_404 / _2xx / _18x -> code="404" ...
    {"core", "rcv_requests_", "", "kamailio_core_rcv_request_total", "method", Type::Counter,
     kReqRcvHelp, true},
    {"core", "rcv_replies_", "", "kamailio_core_rcv_reply_total", "code", Type::Counter,
     kRplRcvHelp, true},
    {"sl", "", "_replies", "kamailio_sl_reply_total", "code", Type::Counter, kSlHelp},
    {"tcp", "", "", "kamailio_tcp_total", "type", Type::Counter, kTcpHelp},
    {"tmx", "", "_transactions", "kamailio_tmx_code_total", "code", Type::Counter, kTmxCodeHelp},
    {"tmx", "rpl_", "", "kamailio_tmx_rpl_total", "type", Type::Counter, kTmxRplHelp},
};

// Per-process families: labels entry (the process slot), pid, desc (its name).
struct PerProcessFamily {
    const char* group;
    const char* name;
    const char* family;
    const char* help;
};
constexpr PerProcessFamily kPerProcess[] = {
    {"osprey", "pkg_used_size", "kamailio_pkgmem_used", "Private memory used"},
    {"osprey", "pkg_real_used_size", "kamailio_pkgmem_real", "Private memory real used"},
    {"osprey", "lua_memory_used", "kamailio_lua_memory_bytes", "Lua state memory"},
};

struct Family {
    std::string name;
    std::string help;
    Type type;
    std::string samples;
};

class Families {
public:
    Family& get(std::string_view name, std::string_view help, Type type) {
        for (Family& f : list_) {
            if (f.name == name) return f;
        }
        list_.push_back(Family{std::string(name), std::string(help), type, {}});
        return list_.back();
    }
    std::string render() const {
        std::string out;
        for (const Family& f : list_) {
            out += "# HELP " + f.name + " " + escapeHelp(f.help) + "\n";
            out += "# TYPE " + f.name + (f.type == Type::Counter ? " counter\n" : " gauge\n");
            out += f.samples;
        }
        return out;
    }

private:
    static std::string escapeHelp(std::string_view s) {
        std::string out;
        for (char c : s) {
            if (c == '\\') {
                out += "\\\\";
            } else if (c == '\n') {
                out += "\\n";
            } else {
                out += c;
            }
        }
        return out;
    }
    std::vector<Family> list_;
};

std::string escapeLabel(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

// Prometheus metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; statistics may hold '-' or '.'
// (usrloc's "location-users").
std::string metricName(std::string_view group, std::string_view name) {
    std::string out = "kamailio_";
    for (std::string_view part : {group, std::string_view("_"), name}) {
        for (char c : part) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '_';
            out += ok ? c : '_';
        }
    }
    return out;
}

void addSample(Family& f, std::string_view labels, int64_t v) {
    f.samples += f.name;
    if (!labels.empty()) {
        f.samples += '{';
        f.samples += labels;
        f.samples += '}';
    }
    f.samples += ' ';
    f.samples += std::to_string(v);
    f.samples += '\n';
}

std::string label(const char* key, std::string_view value) {
    return std::string(key) + "=\"" + escapeLabel(value) + "\"";
}

bool addFixed(Families& fams, const Sample& s) {
    for (const Labelled& m : kFixed) {
        if (s.group != m.group || s.name != m.name) continue;
        if (m.family == nullptr) return true;  // no labelled sample
        Family& f = fams.get(m.family, m.help, m.type);
        addSample(f, m.label != nullptr ? label(m.label, m.labelValue) : std::string(), s.value);
        return true;
    }
    return false;
}

bool addPattern(Families& fams, const Sample& s) {
    for (const Pattern& p : kPatterns) {
        if (s.group != p.group) continue;
        std::string_view n = s.name;
        const std::string_view pre = p.prefix, suf = p.suffix;
        if (n.size() <= pre.size() + suf.size() || !n.starts_with(pre) || !n.ends_with(suf)) {
            continue;
        }
        n = n.substr(pre.size(), n.size() - pre.size() - suf.size());
        if (p.oneToken && n.find('_') != std::string_view::npos) continue;
        Family& f = fams.get(p.family, p.help, p.type);
        addSample(f, label(p.label, n), s.value);
        return true;
    }
    return false;
}

void addPerProcess(Families& fams, const Sample& s) {
    for (const PerProcessFamily& m : kPerProcess) {
        if (s.group != m.group || s.name != m.name) continue;
        Family& f = fams.get(m.family, m.help, Type::Gauge);
        for (const ProcessValue& v : s.perProcess) {
            addSample(f,
                      label("entry", std::to_string(v.slot)) + "," +
                          label("pid", std::to_string(v.pid)) + "," + label("desc", v.name),
                      v.value);
        }
    }
}

}  // namespace

std::string formatPrometheus(const Snapshot& snapshot) {
    Families labelled;
    Families flat;
    for (const Sample& s : snapshot) {
        if (s.kind == Kind::PerProcess) {
            addPerProcess(labelled, s);
        } else if (!addFixed(labelled, s)) {
            addPattern(labelled, s);
        }
        Family& f =
            flat.get(metricName(s.group, s.name), s.help.empty() ? s.name : s.help, Type::Gauge);
        addSample(f, {}, s.value);
    }
    return labelled.render() + flat.render();
}

}  // namespace osprey::stats
