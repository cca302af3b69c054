// queryKindName (target.h).
#include "core/dns/target.h"

namespace osprey::dns {

const char* queryKindName(QueryKind k) {
    switch (k) {
        case QueryKind::Addr:
            return "A/AAAA";
        case QueryKind::SrvUdp:
            return "SRV _sip._udp";
        case QueryKind::SrvTcp:
            return "SRV _sip._tcp";
        case QueryKind::SrvTls:
            return "SRV _sips._tcp";
        case QueryKind::Naptr:
            return "NAPTR";
    }
    return "?";
}

}  // namespace osprey::dns
