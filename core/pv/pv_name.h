// Pseudo-variable names ("$rU", "$hdr(Via)", "$var(count)") parsed into what a getter needs:
// the kind and, for the class forms, the inner name. Kamailio's spellings; "$null" too.
// Parsing never allocates: PvSpec::arg is a view into the name given.
#pragma once
#include <cstdint>
#include <string_view>

namespace osprey::pv {

enum class PvKind : uint8_t {
    Null,  // $null
    // Request-URI (the new one once the script changed it)
    RUri,
    RUser,
    RHost,
    RPort,
    RScheme,
    // $du, destination URI
    DUri,
    DHost,
    DPort,
    // To / From
    ToUri,
    ToUser,
    ToHost,
    ToName,
    ToTag,
    FromUri,
    FromUser,
    FromHost,
    FromName,
    FromTag,
    // Digest credentials (Authorization for REGISTER/PUBLISH, Proxy-Authorization otherwise)
    AuthUser,
    AuthUsername,
    AuthRealm,
    // Message
    Method,
    Status,
    Reason,
    CallId,
    CSeq,
    UserAgent,
    Contact,
    Body,
    MsgLen,
    MsgBuf,
    // Transport
    SrcIp,
    SrcPort,
    RcvIp,
    RcvPort,
    Proto,
    // The TLS connection the message came in on (Kamailio's tls module names)
    TlsVersion,
    TlsDescription,
    TlsCipherInfo,
    TlsCipherBits,
    TlsPeerSubject,
    TlsPeerSubjectCn,
    TlsPeerIssuer,
    TlsPeerVerified,
    TlsPeerServerName,
    // Process
    Pid,
    TimeSec,
    // Flags
    BFlags,  // $bf: branch 0's flags as a number (settable)
    // Class forms
    Header,     // $hdr(Name): first value
    Var,        // $var(name): per-process script variable
    SharedVar,  // $shv(name): one value for every process (shared_vars.h)
    // $name(inner) of a class a module registered (pv_class.h); slot: the class's index
    ModuleClass,
};

struct PvSpec {
    PvKind kind = PvKind::Null;
    std::string_view arg;  // $hdr/$var/module class: the text inside the parentheses
    int32_t slot = -1;     // $var / $shv: the variable's slot once resolved; module class: index
};

enum class PvNameError : uint8_t { Ok, NoDollar, Unknown, BadClass };

// Parses a whole name; surrounding blanks are not accepted.
PvNameError parsePvName(std::string_view name, PvSpec& out);

// Settable ones: $ru, $rU, $rd, $rp, $du, $bf, $var(...), $shv(...), module classes with a
// setter.
bool pvWritable(PvKind k);

const char* pvNameErrorText(PvNameError e);

}  // namespace osprey::pv
