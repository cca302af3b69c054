// Rewrites that make a NATed user agent reachable (Kamailio's nathelper functions of the same
// names). Each edit goes into the forwarded copy (route::MsgContext::builder); the received
// message stays as it was, so calling two of them on the same Contact fails (-1) the way
// Kamailio refuses to change a Contact twice.
#pragma once
#include <cstddef>
#include <string_view>

namespace osprey::route {
struct MsgContext;
}

namespace osprey::nathelper {

// "sip:203.0.113.5:40312" (";transport=tcp"/"tls" for streams): where the message came from,
// as Kamailio's received URIs spell it. Returns its length (0 when it does not fit).
size_t sourceUri(route::MsgContext& mc, char* out, size_t cap);

// The Contact's host:port := the source address (a maddr parameter is dropped). 1 / -1.
int fixNatedContact(route::MsgContext& mc);
// The Contact URI gets ";alias=<src ip>~<src port>~<proto digit>" at its end. 1 / -1.
int setContactAlias(route::MsgContext& mc, bool trim);
// Like set_contact_alias, after the host:port and only when the Contact differs from the
// source: 1 added, 2 not needed (or no Contact), -1 error. The _addr form takes the values.
int addContactAlias(route::MsgContext& mc);
int addContactAliasAddr(route::MsgContext& mc, std::string_view ip, std::string_view port,
                        std::string_view proto);
// An alias parameter in the R-URI (first one, or the last with mode 1) becomes $du and is
// removed from the R-URI. 1 done, 2 no alias, -1 malformed.
int handleRuriAlias(route::MsgContext& mc, int mode);
// ;received="<source uri>" after every Contact (header parameter), or with uriParam as a URI
// parameter (UDP only). 1 / -1.
int addRcvParam(route::MsgContext& mc, bool uriParam);

}  // namespace osprey::nathelper
