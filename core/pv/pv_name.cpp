// Pseudo-variable name parsing (Kamailio's spellings).
#include "core/pv/pv_name.h"

#include "core/pv/pv_class.h"

namespace osprey::pv {

namespace {

struct Plain {
    std::string_view name;  // without '$'
    PvKind kind;
};

// Case matters, as in Kamailio ($rU is the user, $ru the URI).
constexpr Plain kPlain[] = {
    {"null", PvKind::Null},    {"ru", PvKind::RUri},      {"rU", PvKind::RUser},
    {"rd", PvKind::RHost},     {"rp", PvKind::RPort},     {"rz", PvKind::RScheme},
    {"du", PvKind::DUri},      {"dd", PvKind::DHost},     {"dp", PvKind::DPort},
    {"tu", PvKind::ToUri},     {"tU", PvKind::ToUser},    {"td", PvKind::ToHost},
    {"tn", PvKind::ToName},    {"tt", PvKind::ToTag},     {"fu", PvKind::FromUri},
    {"fU", PvKind::FromUser},  {"fd", PvKind::FromHost},  {"fn", PvKind::FromName},
    {"ft", PvKind::FromTag},   {"au", PvKind::AuthUser},  {"aU", PvKind::AuthUsername},
    {"ar", PvKind::AuthRealm}, {"rm", PvKind::Method},    {"rs", PvKind::Status},
    {"rr", PvKind::Reason},    {"ci", PvKind::CallId},    {"cs", PvKind::CSeq},
    {"ua", PvKind::UserAgent}, {"ct", PvKind::Contact},   {"rb", PvKind::Body},
    {"ml", PvKind::MsgLen},    {"mb", PvKind::MsgBuf},    {"si", PvKind::SrcIp},
    {"sp", PvKind::SrcPort},   {"Ri", PvKind::RcvIp},     {"Rp", PvKind::RcvPort},
    {"pr", PvKind::Proto},     {"proto", PvKind::Proto},  {"pp", PvKind::Pid},
    {"Ts", PvKind::TimeSec},   {"from", PvKind::FromUri}, {"to", PvKind::ToUri},
    {"ruri", PvKind::RUri},    {"bf", PvKind::BFlags},
};

// The TLS connection's ($tls_*: Kamailio's tls module names; core/net/tls_info.h).
constexpr Plain kTls[] = {
    {"tls_version", PvKind::TlsVersion},
    {"tls_description", PvKind::TlsDescription},
    {"tls_cipher_info", PvKind::TlsCipherInfo},
    {"tls_cipher_bits", PvKind::TlsCipherBits},
    {"tls_peer_subject", PvKind::TlsPeerSubject},
    {"tls_peer_subject_cn", PvKind::TlsPeerSubjectCn},
    {"tls_peer_issuer", PvKind::TlsPeerIssuer},
    {"tls_peer_verified", PvKind::TlsPeerVerified},
    {"tls_peer_server_name", PvKind::TlsPeerServerName},
};

bool isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

}  // namespace

PvNameError parsePvName(std::string_view name, PvSpec& out) {
    out = PvSpec{};
    if (name.size() < 2 || name[0] != '$') return PvNameError::NoDollar;
    name.remove_prefix(1);
    const size_t open = name.find('(');
    if (open == std::string_view::npos) {
        for (const Plain& p : kPlain) {
            if (p.name == name) {
                out.kind = p.kind;
                return PvNameError::Ok;
            }
        }
        for (const Plain& p : kTls) {
            if (p.name == name) {
                out.kind = p.kind;
                return PvNameError::Ok;
            }
        }
        if (const int32_t mc = findPvClass(name); mc >= 0 && pvClassAt(mc)->plain) {
            out.kind = PvKind::ModuleClass;
            out.slot = mc;
            return PvNameError::Ok;
        }
        return PvNameError::Unknown;
    }
    // $class(inner): the inner name is a token; no index or transformation forms.
    if (name.back() != ')' || open + 2 > name.size() - 1) return PvNameError::BadClass;
    const std::string_view cls = name.substr(0, open);
    const std::string_view inner = name.substr(open + 1, name.size() - open - 2);
    if (const int32_t mc = findPvClass(cls); mc >= 0 && !pvClassAt(mc)->plain) {
        out.kind = PvKind::ModuleClass;
        out.slot = mc;
        out.arg = inner;
        return PvNameError::Ok;
    }
    for (char c : inner) {
        if (!isNameChar(c)) return PvNameError::BadClass;
    }
    if (cls == "hdr") {
        out.kind = PvKind::Header;
    } else if (cls == "var") {
        out.kind = PvKind::Var;
    } else if (cls == "shv") {
        out.kind = PvKind::SharedVar;
    } else {
        return PvNameError::Unknown;
    }
    out.arg = inner;
    return PvNameError::Ok;
}

bool pvWritable(PvKind k) {
    switch (k) {
        case PvKind::RUri:
        case PvKind::RUser:
        case PvKind::RHost:
        case PvKind::RPort:
        case PvKind::DUri:
        case PvKind::BFlags:
        case PvKind::Var:
        case PvKind::SharedVar:
        case PvKind::ModuleClass:
            return true;
        default:
            return false;
    }
}

const char* pvNameErrorText(PvNameError e) {
    switch (e) {
        case PvNameError::Ok:
            return "ok";
        case PvNameError::NoDollar:
            return "a pseudo-variable name starts with '$'";
        case PvNameError::Unknown:
            return "unknown pseudo-variable";
        case PvNameError::BadClass:
            return "bad $class(name) form";
    }
    return "?";
}

}  // namespace osprey::pv
