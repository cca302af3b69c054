#include "core/proc/rank.h"

namespace osprey::proc {

const char* rankName(Rank r) {
    switch (r) {
        case Rank::Master:
            return "master";
        case Rank::SipWorker:
            return "sip";
        case Rank::TcpMain:
            return "tcp-main";
        case Rank::TcpWorker:
            return "tcp";
        case Rank::Timer:
            return "timer";
        case Rank::Control:
            return "ctl";
        case Rank::Dns:
            return "dns";
        case Rank::Custom:
            return "custom";
    }
    return "?";
}

}  // namespace osprey::proc
