// Method name <-> enum (RFC 3261 §7.1, §27.4 and the extension RFCs).
#include "core/sip/method.h"

#include <cstring>

namespace osprey::sip {

namespace {
constexpr std::string_view kNames[] = {"",          "INVITE",  "ACK",     "BYE",    "CANCEL",
                                       "REGISTER",  "OPTIONS", "INFO",    "UPDATE", "PRACK",
                                       "SUBSCRIBE", "NOTIFY",  "MESSAGE", "REFER",  "PUBLISH"};
}

Method methodFromText(std::string_view t) {
    auto eq = [&t](const char* n) { return std::memcmp(t.data(), n, t.size()) == 0; };
    switch (t.size()) {
        case 3:
            if (eq("ACK")) return Method::Ack;
            if (eq("BYE")) return Method::Bye;
            break;
        case 4:
            if (eq("INFO")) return Method::Info;
            break;
        case 5:
            if (eq("PRACK")) return Method::Prack;
            if (eq("REFER")) return Method::Refer;
            break;
        case 6:
            if (eq("INVITE")) return Method::Invite;
            if (eq("CANCEL")) return Method::Cancel;
            if (eq("UPDATE")) return Method::Update;
            if (eq("NOTIFY")) return Method::Notify;
            break;
        case 7:
            if (eq("OPTIONS")) return Method::Options;
            if (eq("MESSAGE")) return Method::Message;
            if (eq("PUBLISH")) return Method::Publish;
            break;
        case 8:
            if (eq("REGISTER")) return Method::Register;
            break;
        case 9:
            if (eq("SUBSCRIBE")) return Method::Subscribe;
            break;
        default:
            break;
    }
    return Method::Other;
}

std::string_view methodName(Method m) {
    unsigned i = static_cast<unsigned>(m);
    return i < std::size(kNames) ? kNames[i] : std::string_view{};
}

}  // namespace osprey::sip
