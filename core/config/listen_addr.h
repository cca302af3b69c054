// One listen address as written in the config ("udp:127.0.0.1:5060", "tcp:[::1]:5060",
// "tls:example.com:5061") or on the command line (-l). Parsing only checks the syntax; the
// transports resolve and bind.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace osprey::config {

enum class Proto : uint8_t { Udp, Tcp, Tls };

const char* protoName(Proto p);  // "udp", "tcp", "tls"

enum class HostType : uint8_t { Ipv4, Ipv6, Name };

struct ListenAddr {
    Proto proto = Proto::Udp;
    std::string host;  // without brackets for IPv6 ("::1"); "0.0.0.0" / "::" for any
    HostType hostType = HostType::Ipv4;
    uint16_t port = 5060;
    // Normalised "proto:host:port" (IPv6 in brackets); equal addresses have equal text.
    std::string text() const;
};

// Accepts [proto:]host[:port]; proto defaults to udp, port to 5060 (5061 for tls); IPv6
// hosts must be bracketed. On error returns false and sets *why to what is wrong.
bool parseListenAddr(std::string_view text, ListenAddr& out, std::string* why);

}  // namespace osprey::config
