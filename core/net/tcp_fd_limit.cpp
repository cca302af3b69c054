// raiseFdLimit.
#include "core/net/tcp_fd_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "core/log/log.h"

namespace osprey::net {

uint64_t raiseFdLimit(uint64_t wanted) {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        LM_WARN("cannot read the open files limit: %s", strerror(errno));
        return 0;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < wanted) {
        const rlim_t old = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= wanted ? wanted : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            LM_WARN("cannot raise the open files limit from %lu: %s",
                    static_cast<unsigned long>(old), strerror(errno));
            rl.rlim_cur = old;
        } else {
            LM_INFO("open files limit raised from %lu to %lu", static_cast<unsigned long>(old),
                    static_cast<unsigned long>(rl.rlim_cur));
        }
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < wanted) {
        LM_WARN(
            "open files limited to %lu (hard limit %lu), below the %lu that "
            "tcp_max_connections needs: raise it (ulimit -n) or expect refused connections",
            static_cast<unsigned long>(rl.rlim_cur), static_cast<unsigned long>(rl.rlim_max),
            static_cast<unsigned long>(wanted));
    }
    return rl.rlim_cur;
}

}  // namespace osprey::net
