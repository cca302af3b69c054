// What nathelper offers other modules (registrar) through ModuleExport::api:
//
//     const nathelper::Api* nh = module::loadedModules().api<nathelper::Api>("nathelper");
//     std::string_view rcv = nh != nullptr ? nh->registerReceived(mc) : std::string_view();
//
// Kamailio passes fix_nated_register()'s result to the registrar in an AVP (received_avp);
// here the registrar asks nathelper for it, so no parameter has to name the same AVP twice.
#pragma once
#include <string_view>

namespace osprey::route {
struct MsgContext;
}

namespace osprey::nathelper {

struct Api {
    // The source address fix_nated_register() recorded for this REGISTER, as a SIP URI
    // ("sip:203.0.113.5:40312", ";transport=tcp" for TCP): the registrar saves it as the
    // binding's `received`, and lookup sends there. Empty when it was not called.
    std::string_view (*registerReceived)(route::MsgContext& mc);
};

}  // namespace osprey::nathelper
