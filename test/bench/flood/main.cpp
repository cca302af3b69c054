// osprey-flood: one source sending the same OPTIONS over UDP as fast as one process can
// (sendmmsg, 64 datagrams a call), for the flood benchmark (scripts/bench/flood.sh). Loopback
// targets only. Prints "FLOOD sent=N seconds=S rate=R".
//   osprey-flood -t 127.0.0.1:5070 [-b 127.0.0.66] [-d seconds=10]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

double now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

bool parseTarget(const char* s, sockaddr_in* out) {
    const char* colon = strrchr(s, ':');
    if (colon == nullptr) return false;
    const std::string ip(s, static_cast<size_t>(colon - s));
    out->sin_family = AF_INET;
    out->sin_port = htons(static_cast<uint16_t>(atoi(colon + 1)));
    if (inet_pton(AF_INET, ip.c_str(), &out->sin_addr) != 1) return false;
    return (ntohl(out->sin_addr.s_addr) >> 24) == 127;  // loopback only
}

}  // namespace

int main(int argc, char** argv) {
    sockaddr_in target{};
    const char* bindIp = "127.0.0.66";
    double seconds = 10;
    int opt;
    bool haveTarget = false;
    while ((opt = getopt(argc, argv, "t:b:d:")) != -1) {
        switch (opt) {
            case 't':
                haveTarget = parseTarget(optarg, &target);
                break;
            case 'b':
                bindIp = optarg;
                break;
            case 'd':
                seconds = atof(optarg);
                break;
            default:
                break;
        }
    }
    if (!haveTarget || seconds <= 0 || seconds > 3600) {
        fprintf(stderr, "usage: osprey-flood -t 127.x.y.z:port [-b bind_ip] [-d seconds]\n");
        return 2;
    }
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (fd < 0 || inet_pton(AF_INET, bindIp, &local.sin_addr) != 1 ||
        bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        perror("osprey-flood: socket/bind");
        return 1;
    }
    socklen_t len = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &target.sin_addr, host, sizeof host);
    char msg[1024];
    const int n = snprintf(msg, sizeof msg,
                           "OPTIONS sip:flood@%s:%u SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKflood1;rport\r\n"
                           "Max-Forwards: 70\r\n"
                           "From: <sip:flood@example.com>;tag=flood\r\n"
                           "To: <sip:flood@%s>\r\n"
                           "Call-ID: flood-1@example.com\r\n"
                           "CSeq: 1 OPTIONS\r\n"
                           "User-Agent: friendly-scanner\r\n"
                           "Content-Length: 0\r\n\r\n",
                           host, ntohs(target.sin_port), bindIp, ntohs(local.sin_port), host);
    constexpr unsigned kBatch = 64;
    iovec iov[kBatch];
    mmsghdr msgs[kBatch];
    for (unsigned i = 0; i < kBatch; ++i) {
        iov[i] = {msg, static_cast<size_t>(n)};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_name = &target;
        msgs[i].msg_hdr.msg_namelen = sizeof target;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    unsigned long sent = 0;
    const double start = now();
    double t = start;
    while (t - start < seconds) {
        const int k = sendmmsg(fd, msgs, kBatch, 0);
        if (k > 0) sent += static_cast<unsigned long>(k);
        t = now();
    }
    printf("FLOOD sent=%lu seconds=%.2f rate=%.0f\n", sent, t - start,
           static_cast<double>(sent) / (t - start));
    close(fd);
    return 0;
}
