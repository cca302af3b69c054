// rtpengine started by a test (rtpengine_process.h).
#include "test/support/rtpengine_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "test/support/osprey_process.h"

namespace osprey::testsupport {

std::string bstr(const std::string& s) {
    return std::to_string(s.size()) + ":" + s;
}

bool RtpengineProcess::start() {
    ngPort_ = freePort(SOCK_DGRAM);
    udpPort_ = freePort(SOCK_DGRAM);
    while (udpPort_ == ngPort_) udpPort_ = freePort(SOCK_DGRAM);
    // A media range of its own per test process; rtpengine skips ports in use.
    portMin_ = 20000 + static_cast<unsigned>(getpid() % 300) * 100;
    portMax_ = portMin_ + 99;
    logPath_ = "/tmp/osprey-rtpengine-" + std::to_string(getpid()) + "-" + std::to_string(ngPort_) +
               ".log";
    std::vector<std::string> args = {
        "/usr/bin/rtpengine",
        "--foreground",
        "--log-stderr",
        "--config-file=none",
        "--table=-1",
        "--interface=127.0.0.1",
        "--listen-ng=127.0.0.1:" + std::to_string(ngPort_),
        "--listen-udp=127.0.0.1:" + std::to_string(udpPort_),
        "--port-min=" + std::to_string(portMin_),
        "--port-max=" + std::to_string(portMax_),
        "--delete-delay=0",
        "--log-level=6",
    };
    const pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        const int fd = open(logPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        if (ng("d7:command4:pinge", 200).find("pong") != std::string::npos) return true;
        int st = 0;
        if (waitpid(pid_, &st, WNOHANG) == pid_) {
            pid_ = -1;
            return false;
        }
    }
    return false;
}

void RtpengineProcess::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int st = 0;
    for (int i = 0; i < 100; ++i) {
        if (waitpid(pid_, &st, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &st, 0);
    pid_ = -1;
}

std::string RtpengineProcess::log() const {
    std::ifstream f(logPath_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string RtpengineProcess::ng(const std::string& dict, int timeoutMs) const {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(ngPort_);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static unsigned counter = 0;
    const std::string cookie = "t" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    const std::string msg = cookie + " " + dict;
    std::string reply;
    if (sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) >= 0) {
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  deadline - std::chrono::steady_clock::now())
                                  .count();
            if (left <= 0) break;
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
            char buf[65536];
            const ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) continue;
            const std::string d(buf, static_cast<size_t>(n));
            if (d.rfind(cookie + " ", 0) == 0) {
                reply = d.substr(cookie.size() + 1);
                break;
            }
        }
    }
    close(fd);
    return reply;
}

bool RtpengineProcess::hasCall(const std::string& callId) const {
    return ng("d7:command4:list5:limiti1000ee").find(bstr(callId)) != std::string::npos;
}

}  // namespace osprey::testsupport
