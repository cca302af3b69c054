// SIP request methods: the ones the router treats specially get an enum value; any other
// token method (RFC 3261 §25.1 extension-method) is Method::Other and is kept as text.
#pragma once
#include <cstdint>
#include <string_view>

namespace osprey::sip {

enum class Method : uint8_t {
    Other = 0,
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Info,
    Update,
    Prack,
    Subscribe,
    Notify,
    Message,
    Refer,
    Publish,
};

using MethodMask = uint32_t;
constexpr MethodMask methodBit(Method m) {
    return MethodMask{1} << static_cast<unsigned>(m);
}

// Method names are case-sensitive (RFC 3261 §7.1): "invite" is an extension method.
Method methodFromText(std::string_view text);
std::string_view methodName(Method m);  // "INVITE", ...; "" for Other

}  // namespace osprey::sip
