#include "test/bench/load/cli.h"

#include <getopt.h>
#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace osprey::load {

namespace {

constexpr double kMaxSeconds = 3600;  // every mode ends by itself within an hour

bool toDouble(const char* s, double lo, double hi, double& out) {
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
    out = v;
    return true;
}

bool toUnsigned(const char* s, uint64_t lo, uint64_t hi, uint64_t& out) {
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || *s == '-' || v < lo || v > hi) return false;
    out = v;
    return true;
}

std::string bad(const char* what, const char* value) {
    return std::string("invalid ") + what + " '" + value + "'";
}

// Parses the options after the mode word into one of the option structs.
class Parser {
public:
    Parser(int argc, char** argv) : argc_(argc), argv_(argv) {}

    Command parse();

private:
    bool endpoint(const char* text, const char* what, Endpoint& out);

    int argc_;
    char** argv_;
    std::string error_;
    bool allowRemote_ = false;
};

bool Parser::endpoint(const char* text, const char* what, Endpoint& out) {
    if (!parseEndpoint(text, out)) {
        error_ = bad(what, text);
        return false;
    }
    return true;
}

Command Parser::parse() {
    if (argc_ < 2) return CliError{};
    std::string_view mode = argv_[1];
    UacOptions uac;
    UasOptions uas;
    RelayOptions relay;
    parseEndpoint("127.0.0.1:5090", uac.uas);
    parseEndpoint("127.0.0.1:5090", relay.uas);
    std::string bindIp;
    uint64_t bindPort = 0;
    bool haveTarget = false, haveListen = false, haveDuration = false;
    double maxSeconds = kMaxSeconds;

    static const option longOpts[] = {{"allow-non-loopback", no_argument, nullptr, 'A'},
                                      {"help", no_argument, nullptr, 'h'},
                                      {nullptr, 0, nullptr, 0}};
    const char* shortOpts = mode == "uac" ? "t:s:w:r:n:d:W:T:K:u:b:p:h" : "l:u:d:h";
    if (mode != "uac" && mode != "uas" && mode != "relay") return CliError{};
    optind = 2;
    opterr = 0;
    int c;
    uint64_t n = 0;
    while ((c = getopt_long(argc_, argv_, shortOpts, longOpts, nullptr)) != -1) {
        bool ok = true;
        switch (c) {
            case 'A':
                allowRemote_ = true;
                break;
            case 'h':
                return CliError{};
            case 't':
                ok = haveTarget = endpoint(optarg, "target", uac.target);
                break;
            case 'l':
                ok = haveListen = endpoint(optarg, "listen address", uas.listen);
                relay.listen = uas.listen;
                break;
            case 'u':
                ok = endpoint(optarg, "UAS address", uac.uas);
                relay.uas = uac.uas;
                break;
            case 's':
                if (auto s = parseScenario(optarg))
                    uac.scenario = *s;
                else
                    error_ = bad("scenario", optarg), ok = false;
                break;
            case 'w':
                ok = toUnsigned(optarg, 1, 1000000, n);
                uac.window = static_cast<uint32_t>(n);
                if (!ok) error_ = bad("window", optarg);
                break;
            case 'r':
                ok = toDouble(optarg, 0, 1e7, uac.rate);
                if (!ok) error_ = bad("rate", optarg);
                break;
            case 'n':
                ok = toUnsigned(optarg, 0, UINT64_MAX, uac.count);
                if (!ok) error_ = bad("count", optarg);
                break;
            case 'd':
                ok = haveDuration = toDouble(optarg, 0.001, kMaxSeconds, maxSeconds);
                if (!ok) error_ = bad("duration (seconds, at most 3600)", optarg);
                break;
            case 'W':
                ok = toDouble(optarg, 0, kMaxSeconds, uac.warmup);
                if (!ok) error_ = bad("warm-up", optarg);
                break;
            case 'T':
                ok = toDouble(optarg, 1, 600000, uac.timeoutMs);
                if (!ok) error_ = bad("timeout (ms)", optarg);
                break;
            case 'K':
                ok = toUnsigned(optarg, 1, 100000000, n);
                uac.aors = static_cast<unsigned>(n);
                if (!ok) error_ = bad("AOR count", optarg);
                break;
            case 'b':
                bindIp = optarg;
                break;
            case 'p':
                ok = toUnsigned(optarg, 0, 65535, bindPort);
                if (!ok) error_ = bad("bind port", optarg);
                break;
            default:
                error_ = std::string("unknown option or missing value: ") + argv_[optind - 1];
                ok = false;
        }
        if (!ok) return CliError{error_};
    }
    if (optind < argc_) return CliError{std::string("unexpected argument: ") + argv_[optind]};

    if (mode == "uac") {
        if (!haveTarget) return CliError{"uac needs -t ip:port"};
        uac.duration = haveDuration ? maxSeconds : 10;
        if (bindIp.empty()) bindIp = uac.target.isV6() ? "::1" : "127.0.0.1";
        std::string bindText = bindIp.find(':') != std::string::npos
                                   ? "[" + bindIp + "]:" + std::to_string(bindPort)
                                   : bindIp + ":" + std::to_string(bindPort);
        if (!endpoint(bindText.c_str(), "bind address", uac.bind)) return CliError{error_};
        if (uac.bind.addr.ss_family != uac.target.addr.ss_family)
            return CliError{"bind address and target must be of the same family"};
        if (!allowRemote_ &&
            !(isLoopback(uac.target) && isLoopback(uac.uas) && isLoopback(uac.bind)))
            return CliError{
                "target, -u and -b must be loopback (127.0.0.0/8 or ::1); "
                "--allow-non-loopback overrides"};
        return uac;
    }
    if (!haveListen) return CliError{std::string(mode) + " needs -l ip:port"};
    if (!allowRemote_ && !(isLoopback(uas.listen) && (mode == "uas" || isLoopback(relay.uas))))
        return CliError{
            "addresses must be loopback (127.0.0.0/8 or ::1); "
            "--allow-non-loopback overrides"};
    if (mode == "uas") {
        uas.maxSeconds = maxSeconds;
        return uas;
    }
    relay.maxSeconds = maxSeconds;
    if (relay.uas.addr.ss_family != relay.listen.addr.ss_family)
        return CliError{"relay: listen and UAS addresses must be of the same family"};
    return relay;
}

}  // namespace

Command parseCommandLine(int argc, char** argv) {
    return Parser(argc, argv).parse();
}

const char* usageText() {
    return "usage:\n"
           "  osprey-load uas   -l ip:port [-d max_seconds=3600]\n"
           "  osprey-load relay -l ip:port [-u uas_ip:port=127.0.0.1:5090] [-d max_seconds=3600]\n"
           "  osprey-load uac   -t ip:port -s options|message|register|lookup|invite\n"
           "                    [-w window=64] [-r rate/s=0 (unpaced)] [-n count=0 (no limit)]\n"
           "                    [-d seconds=10] [-W warmup_s=0] [-T timeout_ms=2000]\n"
           "                    [-K aors=1000] [-u uas_ip:port=127.0.0.1:5090 (REGISTER Contact)]\n"
           "                    [-b bind_ip] [-p bind_port]\n"
           "  every mode: [--allow-non-loopback] (default: loopback addresses only)\n"
           "IPv6 addresses are written [::1]:port.\n";
}

}  // namespace osprey::load
