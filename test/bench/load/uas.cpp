#include "test/bench/load/uas.h"

#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "test/bench/load/datagram_batch.h"
#include "test/bench/load/runtime.h"
#include "test/bench/load/sip_text.h"
#include "test/bench/load/uas_reply.h"

namespace osprey::load {

int runUas(const UasOptions& opts) {
    const int fd = openServingSocket(opts.listen, "uas");
    if (fd < 0) return 1;
    installStopSignals();

    static RecvBatch in;
    static SendBatch out;
    const std::string contact = "Contact: <sip:uas@" + opts.listen.uriHostPort() + ">\r\n";
    unsigned long long received = 0, replied = 0, acks = 0, bad = 0;
    unsigned tags = 0;
    const uint64_t start = nowNs();
    const uint64_t deadline = start + static_cast<uint64_t>(opts.maxSeconds * 1e9);
    SplitMessage req;

    while (stopRequests() == 0 && nowNs() < deadline) {
        int n = in.receive(fd, MSG_WAITFORONE);
        for (int i = 0; i < n; i++) {
            received++;
            std::string_view msg = in.message(i);
            if (msg.size() < 8 || statusCode(msg) != 0 || msg.substr(0, 8) == "SIP/2.0 ") {
                bad++;  // a response, or noise: a UAS only answers requests
                continue;
            }
            if (msg.substr(0, 4) == "ACK ") {
                acks++;
                continue;
            }
            if (!splitMessage(msg, req) || req.count == 0) {
                bad++;
                continue;
            }
            bool invite = msg.substr(0, 7) == "INVITE ";
            size_t len = writeOkReply(req, invite, contact, ++tags, out.next(), kMaxDatagram);
            if (len == 0) {
                bad++;
                continue;
            }
            out.commit(len, &in.source(i), in.sourceLen(i));
        }
        if (!out.empty()) replied += static_cast<unsigned long long>(out.flush(fd));
    }
    close(fd);
    std::printf("UAS received=%llu replied=%llu acks=%llu bad=%llu elapsed_s=%.2f cpu_s=%.3f\n",
                received, replied, acks, bad, static_cast<double>(nowNs() - start) / 1e9,
                cpuSeconds());
    std::fflush(stdout);
    return 0;
}

}  // namespace osprey::load
