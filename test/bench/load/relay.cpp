#include "test/bench/load/relay.h"

#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "test/bench/load/datagram_batch.h"
#include "test/bench/load/runtime.h"

namespace osprey::load {

namespace {
bool sameAddress(const sockaddr_storage& a, const Endpoint& e) {
    if (a.ss_family != e.addr.ss_family) return false;
    if (a.ss_family == AF_INET) {
        auto& x = reinterpret_cast<const sockaddr_in&>(a);
        auto& y = reinterpret_cast<const sockaddr_in&>(e.addr);
        return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
    }
    auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    auto& y = reinterpret_cast<const sockaddr_in6&>(e.addr);
    return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, 16) == 0;
}
}  // namespace

int runRelay(const RelayOptions& opts) {
    const int fd = openServingSocket(opts.listen, "relay");
    if (fd < 0) return 1;
    installStopSignals();

    static RecvBatch in;
    static SendBatch out;
    sockaddr_storage client{};
    socklen_t clientLen = 0;
    unsigned long long toUas = 0, toClient = 0;
    const uint64_t start = nowNs();
    const uint64_t deadline = start + static_cast<uint64_t>(opts.maxSeconds * 1e9);

    while (stopRequests() == 0 && nowNs() < deadline) {
        int n = in.receive(fd, MSG_WAITFORONE);
        for (int i = 0; i < n; i++) {
            std::string_view msg = in.message(i);
            bool fromUas = sameAddress(in.source(i), opts.uas);
            if (fromUas && clientLen == 0) continue;  // nobody to give it to yet
            if (!fromUas) {
                client = in.source(i);
                clientLen = in.sourceLen(i);
            }
            std::memcpy(out.next(), msg.data(), msg.size());
            if (fromUas) {
                out.commit(msg.size(), &client, clientLen);
                toClient++;
            } else {
                out.commit(msg.size(), &opts.uas.addr, opts.uas.len);
                toUas++;
            }
        }
        if (!out.empty()) out.flush(fd);
    }
    close(fd);
    std::printf("RELAY to_uas=%llu to_client=%llu elapsed_s=%.2f cpu_s=%.3f\n", toUas, toClient,
                static_cast<double>(nowNs() - start) / 1e9, cpuSeconds());
    std::fflush(stdout);
    return 0;
}

}  // namespace osprey::load
