// make bench-registrar-db: closed-loop REGISTER throughput of the real osprey with usrloc
// db_mode 0 (memory only), 1 (write-through: the 200 OK waits for the group commit), 1 with
// db_fsync = 1 (synchronous=FULL: an fsync per commit) and 2 (write-back), and the ratios to
// db_mode 0. Modes "redis" and "redis-sync" (make bench-redis) run usrloc's store = "redis"
// (asynchronous writes; sync_write = 1) against a redis-server the bench starts on a free
// loopback port (no persistence), one per run. Modes "kam" and "kam-redis" (also in make
// bench-redis) run Kamailio 5.6 under the same load: scripts/bench/kamailio/registrar-lua.cfg
// (usrloc in memory) and registrar-redis-lua.cfg (usrloc db_mode 3 on db_redis), both with
// scripts/bench/registrar.lua through KEMI, -n as Osprey's children; their ratio is printed
// against mode "kam" as Osprey's is against "0".
//
// Each run starts osprey with scripts/bench/registrar.cfg + registrar.lua (the listen port,
// shm_size, usrloc's db_* settings and, when CHILDREN is set, children overridden; the SQLite
// file in a fresh temp dir on the disk $TMPDIR is on) and drives it from one UDP socket on
// loopback: WINDOW
// REGISTERs outstanding, each for another of AORS AORs (every one a refresh with a new CSeq,
// so every request changes a binding and, with a database, writes a row), a new one sent for
// each reply. Requests completed during DURATION seconds after WARMUP are counted. Modes are
// interleaved over RUNS rounds and the median is reported (the machine is shared). Router CPU
// is utime+stime of every osprey process over the window, per REGISTER.
//
// Environment: DURATION [5] WARMUP [1] RUNS [3] WINDOW [64] AORS [10000]
//              CHILDREN [registrar.cfg's, 1]
//              MODES ["0 1 1f 2"; also redis, redis-sync, kam, kam-redis]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "test/support/osprey_process.h"
#include "test/support/redis_server.h"
#include "test/support/temp_dir.h"

using namespace osprey::testsupport;

namespace {

using Clock = std::chrono::steady_clock;

int envInt(const char* name, int def) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::atoi(v) : def;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
        s.replace(p, from.size(), to);
    return s;
}

// The line of registrar.cfg that sets `key`, replaced by `key = value;`.
std::string setKey(const std::string& cfg, const std::string& key, const std::string& value) {
    std::istringstream in(cfg);
    std::string out, line;
    while (std::getline(in, line)) {
        if (line.rfind(key + " =", 0) == 0) line = key + " = " + value + ";";
        out += line + "\n";
    }
    return out;
}

struct Mode {
    std::string name;  // "0", "1", "1f", "2", "redis", "redis-sync"
    int dbMode;
    bool fsync;
    bool redis = false;
    bool syncWrite = false;
    bool kamailio = false;
};

std::string configFor(const Mode& m, uint16_t port, int children, const std::string& db,
                      const std::string& redisUrl) {
    const std::string src = OSPREY_SOURCE_DIR "/scripts/bench/";
    std::string cfg = readFile(src + "registrar.cfg");
    cfg = replaceAll(cfg, "udp:127.0.0.1:5070", "udp:127.0.0.1:" + std::to_string(port));
    if (children > 0) cfg = setKey(cfg, "children", std::to_string(children));
    cfg = setKey(cfg, "shm_size", "256");  // REGISTERs only: no transactions to hold
    cfg = setKey(cfg, "script", "\"" + src + "registrar.lua\"");
    std::string ul = "db_mode = " + std::to_string(m.dbMode) + ";";
    if (m.dbMode != 0) ul += " db_url = \"sqlite://" + db + "\";";
    if (m.fsync) ul += " db_fsync = 1;";
    if (m.redis) ul += " store = \"redis\"; redis_url = \"" + redisUrl + "\";";
    if (m.syncWrite) ul += " sync_write = 1;";
    return replaceAll(cfg, "db_mode = 0;", ul);
}

// utime + stime of a process in clock ticks; 0 when gone.
long long cpuTicks(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), {});
    const size_t close = s.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream in(s.substr(close + 2));
    std::string field;
    long long ut = 0, st = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) ut = std::atoll(field.c_str());
        if (i == 15) st = std::atoll(field.c_str());
    }
    return ut + st;
}

long long treeTicks(OspreyProcess& p) {
    long long t = cpuTicks(p.pid());
    for (int k : p.childPids()) t += cpuTicks(k);
    return t;
}

struct Result {
    double rps = 0;
    double cpuUsPerReq = 0;
    long long non200 = 0;
    long long lost = 0;
    double redisCpuUsPerReq = 0;  // redis-server's own CPU, redis modes
    long long redisKeys = -1;     // AORs in Redis at the end (redis modes): all of them written
};

// The load: one socket, `window` REGISTERs in flight, AOR i = "b<i>" with Call-ID "bc<i>".
class Driver {
public:
    Driver(uint16_t port, int aors, int window) : aors_(aors), window_(window), cseq_(aors, 0) {
        fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        localPort_ = ntohs(a.sin_port);
        int big = 4 << 20;
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        to_.sin_family = AF_INET;
        to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        to_.sin_port = htons(port);
    }
    ~Driver() { close(fd_); }

    // Runs warmup + duration seconds; counts replies inside the measured window. onWindow is
    // called at the start and end of the window (for CPU samples).
    template <class F>
    Result run(int warmupS, int durationS, F&& onWindow) {
        Result r;
        const auto start = Clock::now();
        const auto from = start + std::chrono::seconds(warmupS);
        const auto until = from + std::chrono::seconds(durationS);
        bool inWindow = false;
        long long done = 0;
        int outstanding = 0;
        auto lastReply = Clock::now();
        char buf[4096];
        for (;;) {
            const auto now = Clock::now();
            if (!inWindow && now >= from) {
                inWindow = true;
                onWindow();
            }
            if (now >= until) break;
            while (outstanding < window_) {
                sendOne();
                ++outstanding;
            }
            pollfd p{fd_, POLLIN, 0};
            poll(&p, 1, 100);
            for (int k = 0; k < 256; ++k) {  // then look at the clock again
                const ssize_t n = recv(fd_, buf, sizeof buf, 0);
                if (n <= 0) break;
                --outstanding;
                lastReply = Clock::now();
                const bool ok = n > 12 && std::memcmp(buf, "SIP/2.0 200 ", 12) == 0;
                if (inWindow) {
                    ++done;
                    if (!ok) ++r.non200;
                }
                if (outstanding < window_) {
                    sendOne();
                    ++outstanding;
                }
            }
            // Replies lost (a full socket buffer somewhere): start the window again.
            if (Clock::now() - lastReply > std::chrono::seconds(1)) {
                if (inWindow) r.lost += outstanding;
                outstanding = 0;
                lastReply = Clock::now();
            }
        }
        onWindow();
        const double seconds = std::chrono::duration<double>(Clock::now() - from).count();
        r.rps = static_cast<double>(done) / seconds;
        return r;
    }

private:
    void sendOne() {
        const int i = next_++ % aors_;
        const unsigned cseq = ++cseq_[i];
        char msg[1024];
        const int n = std::snprintf(msg, sizeof msg,
                                    "REGISTER sip:example.com SIP/2.0\r\n"
                                    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKb%d.%u;rport\r\n"
                                    "Max-Forwards: 70\r\n"
                                    "From: <sip:b%d@example.com>;tag=f%d\r\n"
                                    "To: <sip:b%d@example.com>\r\n"
                                    "Call-ID: bc%d@bench\r\n"
                                    "CSeq: %u REGISTER\r\n"
                                    "Contact: <sip:b%d@127.0.0.1:5999>\r\n"
                                    "Expires: 3600\r\n"
                                    "User-Agent: registrar_db_bench\r\n"
                                    "Content-Length: 0\r\n\r\n",
                                    localPort_, i, cseq, i, i, i, i, cseq, i);
        sendto(fd_, msg, static_cast<size_t>(n), 0, reinterpret_cast<const sockaddr*>(&to_),
               sizeof to_);
    }

    int fd_ = -1;
    uint16_t localPort_ = 0;
    sockaddr_in to_{};
    int aors_;
    int window_;
    int next_ = 0;
    std::vector<unsigned> cseq_;
};

// Kamailio on `port` with registrar-lua.cfg (redisUrl empty) or registrar-redis-lua.cfg, its
// config and common.inc copied into dir with the port changed; stopped (by PID) with the object.
class Kamailio {
public:
    Kamailio(const TempDir& dir, uint16_t port, int children, const std::string& redisUrl) {
        const std::string src = OSPREY_SOURCE_DIR "/scripts/bench/";
        const std::string name = redisUrl.empty() ? "registrar-lua.cfg" : "registrar-redis-lua.cfg";
        const std::string p = "127.0.0.1:" + std::to_string(port);
        dir.write("common.inc",
                  replaceAll(readFile(src + "kamailio/common.inc"), "127.0.0.1:5070", p));
        cfg_ = dir.write(name, readFile(src + "kamailio/" + name));
        log_ = dir.file("kamailio.log");
        std::vector<std::string> args = {"/usr/sbin/kamailio",
                                         "-f",
                                         cfg_,
                                         "-DD",
                                         "-E",
                                         "-m",
                                         "256",
                                         "-M",
                                         "8",
                                         "-n",
                                         std::to_string(children),
                                         "-Y",
                                         dir.path(),
                                         "-A",
                                         "LUA_SCRIPT=\"" + src + "registrar.lua\""};
        if (!redisUrl.empty()) {
            args.push_back("-A");
            args.push_back("DBURL=\"" + redisUrl + "\"");
        }
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::fflush(stdout);  // or the child would print what is buffered again
        pid_ = fork();
        if (pid_ == 0) {
            FILE* f = std::freopen(log_.c_str(), "w", stdout);
            if (f != nullptr) dup2(fileno(stdout), 2);
            execv(argv[0], argv.data());
            _exit(127);
        }
    }
    ~Kamailio() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        for (int i = 0; i < 300 && waitpid(pid_, nullptr, WNOHANG) != pid_; ++i) usleep(10000);
        if (waitpid(pid_, nullptr, WNOHANG) == 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    Kamailio(const Kamailio&) = delete;
    Kamailio& operator=(const Kamailio&) = delete;
    int pid() const { return pid_; }
    std::string log() const { return readFile(log_); }
    // utime + stime of Kamailio and every process it forked.
    long long ticks() const {
        long long t = cpuTicks(pid_);
        for (int k : childrenOf(pid_)) t += cpuTicks(k);
        return t;
    }

private:
    static std::vector<int> childrenOf(int parent) {
        std::vector<int> out;
        std::ifstream f("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) +
                        "/children");
        for (int k; f >> k;) out.push_back(k);
        return out;
    }
    std::string cfg_, log_;
    int pid_ = -1;
};

// Whether something answers an OPTIONS on port within timeoutMs.
bool answers(uint16_t port, int timeoutMs) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const auto until = Clock::now() + std::chrono::milliseconds(timeoutMs);
    bool ok = false;
    for (int i = 0; !ok && Clock::now() < until; ++i) {
        const std::string msg =
            "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "
            "127.0.0.1:9;branch=z9hG4bKping" +
            std::to_string(i) +
            ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:p@b>;tag=1\r\nTo: "
            "<sip:p@b>\r\nCall-ID: ping" +
            std::to_string(i) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
        pollfd p{fd, POLLIN, 0};
        char buf[2048];
        ok = poll(&p, 1, 200) > 0 && recv(fd, buf, sizeof buf, 0) > 0;
    }
    close(fd);
    return ok;
}

// Children for Kamailio's -n: CHILDREN, or registrar.cfg's.
int childrenFor(int children) {
    if (children > 0) return children;
    std::istringstream in(readFile(OSPREY_SOURCE_DIR "/scripts/bench/registrar.cfg"));
    for (std::string line; std::getline(in, line);)
        if (line.rfind("children =", 0) == 0) return std::atoi(line.c_str() + 10);
    return 1;
}

Result runKamailio(const Mode& m, int children, int aors, int window, int warmup, int duration) {
    TempDir dir;
    const uint16_t port = freePort(SOCK_DGRAM);
    RedisServer redis;
    Result r;
    if (m.redis) {
        if (!redis.start()) {
            std::fprintf(stderr, "%s: redis-server did not start:\n%s\n", m.name.c_str(),
                         redis.log().c_str());
            return r;
        }
        // usrloc checks the location table's version (the number ending db_redis's schema file).
        redisCommand(redis.port(), {"HSET", "version:entry::location", "table_name", "location",
                                    "table_version", "9"});
    }
    Kamailio k(dir, port, childrenFor(children), m.redis ? redis.url() : "");
    if (!answers(port, 10000)) {
        std::fprintf(stderr, "%s: kamailio did not start:\n%s\n", m.name.c_str(), k.log().c_str());
        return r;
    }
    Driver d(port, aors, window);
    long long ticks[2] = {0, 0};
    long long redisTicks[2] = {0, 0};
    int sample = 0;
    r = d.run(warmup, duration, [&] {
        if (m.redis) redisTicks[sample & 1] = cpuTicks(redis.pid());
        ticks[sample++ & 1] = k.ticks();
    });
    const double cpuS = static_cast<double>(ticks[1] - ticks[0]) / sysconf(_SC_CLK_TCK);
    if (r.rps > 0) r.cpuUsPerReq = cpuS * 1e6 / (r.rps * duration);
    if (m.redis && r.rps > 0) {
        const double redisS =
            static_cast<double>(redisTicks[1] - redisTicks[0]) / sysconf(_SC_CLK_TCK);
        r.redisCpuUsPerReq = redisS * 1e6 / (r.rps * duration);
        r.redisKeys = std::atoll(redisCommand(redis.port(), {"DBSIZE"}).c_str());
    }
    return r;
}

Result runOnce(const Mode& m, int children, int aors, int window, int warmup, int duration) {
    TempDir dir;
    const uint16_t port = freePort(SOCK_DGRAM);
    RedisServer redis;
    if (m.redis && !redis.start()) {
        std::fprintf(stderr, "%s: redis-server did not start:\n%s\n", m.name.c_str(),
                     redis.log().c_str());
        return Result{};
    }
    StartOptions so;
    so.config = configFor(m, port, children, dir.file("location.db"), redis.url());
    OspreyProcess osp(so);
    Result r;
    if (!osp.start() || !osp.waitReady()) {
        std::fprintf(stderr, "db_mode %s: osprey did not start:\n%s\n", m.name.c_str(),
                     osp.log().c_str());
        return r;
    }
    Driver d(port, aors, window);
    long long ticks[2] = {0, 0};
    long long redisTicks[2] = {0, 0};
    int sample = 0;
    r = d.run(warmup, duration, [&] {
        if (m.redis) redisTicks[sample & 1] = cpuTicks(redis.pid());
        ticks[sample++ & 1] = treeTicks(osp);
    });
    const double cpuS = static_cast<double>(ticks[1] - ticks[0]) / sysconf(_SC_CLK_TCK);
    if (r.rps > 0) r.cpuUsPerReq = cpuS * 1e6 / (r.rps * duration);  // duration: the window
    if (m.redis && r.rps > 0) {
        const double redisS =
            static_cast<double>(redisTicks[1] - redisTicks[0]) / sysconf(_SC_CLK_TCK);
        r.redisCpuUsPerReq = redisS * 1e6 / (r.rps * duration);
        // Everything answered is written by now or within the next batch.
        for (int i = 0; i < 100 && r.redisKeys < aors; ++i) {
            r.redisKeys = std::atoll(redisCommand(redis.port(), {"DBSIZE"}).c_str());
            if (r.redisKeys < aors) usleep(20000);
        }
    }
    osp.stop();
    return r;
}

}  // namespace

int main() {
    const int duration = envInt("DURATION", 5);
    const int warmup = envInt("WARMUP", 1);
    const int runs = envInt("RUNS", 3);
    const int window = envInt("WINDOW", 64);
    const int aors = envInt("AORS", 10000);
    const int children = envInt("CHILDREN", 0);  // 0: as registrar.cfg says
    const char* modesEnv = std::getenv("MODES");
    std::istringstream modesIn(modesEnv != nullptr ? modesEnv : "0 1 1f 2");
    std::vector<Mode> modes;
    for (std::string w; modesIn >> w;) {
        if (w == "0" || w == "1" || w == "2" || w == "1f")
            modes.push_back({w, w[0] - '0', w == "1f"});
        if (w == "redis" || w == "redis-sync")
            modes.push_back({w, 0, false, true, w == "redis-sync"});
        if (w == "kam" || w == "kam-redis")
            modes.push_back({w, 0, false, w == "kam-redis", false, true});
    }
    std::printf(
        "registrar_db_bench: closed-loop REGISTER, children %s, window %d, %d AORs, %d s "
        "(+%d s warm-up) x %d runs, modes interleaved\n",
        children > 0 ? std::to_string(children).c_str() : "as registrar.cfg", window, aors,
        duration, warmup, runs);
    std::map<std::string, std::vector<Result>> results;
    for (int run = 0; run < runs; ++run) {
        for (const Mode& m : modes) {
            Result r = m.kamailio ? runKamailio(m, children, aors, window, warmup, duration)
                                  : runOnce(m, children, aors, window, warmup, duration);
            std::printf(
                "  run %d mode %-10s %8.0f req/s  %5.1f us CPU/req  non-200 %lld  lost %lld",
                run + 1, m.name.c_str(), r.rps, r.cpuUsPerReq, r.non200, r.lost);
            if (m.redis)
                std::printf("  redis-server %.1f us CPU/req, %lld keys in Redis",
                            r.redisCpuUsPerReq, r.redisKeys);
            std::printf("\n");
            std::fflush(stdout);
            results[m.name].push_back(r);
        }
    }
    auto median = [](std::vector<Result> v) {
        std::sort(v.begin(), v.end(),
                  [](const Result& a, const Result& b) { return a.rps < b.rps; });
        return v[v.size() / 2];
    };
    const double base = results.count("0") ? median(results["0"]).rps : 0;
    const double kamBase = results.count("kam") ? median(results["kam"]).rps : 0;
    std::printf(
        "\n| db_mode | meaning | REGISTER req/s (median) | ratio to memory only (0; kam for "
        "Kamailio) | router CPU us/REGISTER |\n");
    std::printf("|---|---|---:|---:|---:|\n");
    for (const Mode& m : modes) {
        const Result r = median(results[m.name]);
        const char* meaning = m.name == "0"       ? "memory only"
                              : m.name == "1"     ? "write-through, synchronous=NORMAL"
                              : m.name == "1f"    ? "write-through, synchronous=FULL (db_fsync=1)"
                              : m.name == "redis" ? "store = redis, asynchronous writes"
                              : m.name == "redis-sync" ? "store = redis, sync_write = 1"
                              : m.name == "kam"        ? "Kamailio 5.6, usrloc in memory"
                              : m.name == "kam-redis" ? "Kamailio 5.6, usrloc db_mode 3 on db_redis"
                                                      : "write-back";
        const double b = m.kamailio ? kamBase : base;
        std::printf("| %s | %s | %.0f | %.2f | %.1f |\n", m.name.c_str(), meaning, r.rps,
                    b > 0 ? r.rps / b : 0.0, r.cpuUsPerReq);
    }
    return 0;
}
