#include "core/app/options.h"

#include <cstdlib>
#include <cstring>
#include <string_view>

namespace osprey::app {

namespace {

bool parseUnsigned(const char* s, unsigned long long lo, unsigned long long hi,
                   unsigned long long& out) {
    if (!s || !*s) return false;
    for (const char* p = s; *p; ++p)
        if (*p < '0' || *p > '9') return false;
    errno = 0;
    char* end = nullptr;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) return false;
    out = v;
    return true;
}

}  // namespace

const char* usageText() {
    return "usage: osprey [options]\n"
           "  -f FILE    configuration file (libconfig)\n"
           "  -c         check the configuration (and modules and script) and exit\n"
           "  -D         stay in the foreground\n"
           "  -E         log to stderr instead of syslog\n"
           "  -n N       SIP worker processes (overrides 'children')\n"
           "  -m MIB     shared memory size in MiB (overrides 'shm_size')\n"
           "  -M MIB     private memory per process in MiB (overrides 'pkg_size')\n"
           "  -d LEVEL   log level: err, warn, notice, info, debug (overrides 'log_level')\n"
           "  -l ADDR    listen address, e.g. udp:127.0.0.1:5060 (repeatable; replaces 'listen')\n"
           "  -L DIR     modules directory (overrides 'modules_path')\n"
           "  -P FILE    pid file, written when the server is ready\n"
           "  -V         print version and build options and exit\n"
           "  -h         print this help and exit\n";
}

Action parseOptions(int argc, const char* const* argv, Options& out, std::string* error) {
    auto fail = [error](std::string msg) {
        if (error) *error = std::move(msg);
        return Action::Error;
    };
    Options o;
    for (int i = 1; i < argc; ++i) {
        const char* arg = argv[i];
        if (std::string_view(arg) == "--help") return Action::Help;
        if (std::string_view(arg) == "--version") return Action::Version;
        if (arg[0] != '-' || arg[1] == '\0')
            return fail(std::string("unexpected argument '") + arg + "'");
        // Flags may be grouped ("-DE"); a flag taking a value takes the rest of the word or the
        // next argument ("-n4" or "-n 4").
        for (const char* p = arg + 1; *p; ++p) {
            char flag = *p;
            const char* value = nullptr;
            if (strchr("fnmMdlLP", flag)) {
                if (p[1] != '\0') {
                    value = p + 1;
                } else if (i + 1 < argc) {
                    value = argv[++i];
                } else {
                    return fail(std::string("option -") + flag + " needs a value");
                }
            }
            unsigned long long v = 0;
            switch (flag) {
                case 'f':
                    o.configFile = value;
                    break;
                case 'c':
                    o.checkOnly = true;
                    break;
                case 'D':
                    o.foreground = true;
                    break;
                case 'E':
                    o.logStderr = true;
                    break;
                case 'V':
                    return Action::Version;
                case 'h':
                    return Action::Help;
                case 'n':
                    if (!parseUnsigned(value, 1, config::kMaxChildren, v))
                        return fail("-n needs a number of processes from 1 to " +
                                    std::to_string(config::kMaxChildren) + ", got '" + value + "'");
                    o.children = static_cast<unsigned>(v);
                    break;
                case 'm':
                    if (!parseUnsigned(value, 1, config::kMaxShmMiB, v))
                        return fail("-m needs a size in MiB from 1 to " +
                                    std::to_string(config::kMaxShmMiB) + ", got '" + value + "'");
                    o.shmMiB = v;
                    break;
                case 'M':
                    if (!parseUnsigned(value, 1, config::kMaxPkgMiB, v))
                        return fail("-M needs a size in MiB from 1 to " +
                                    std::to_string(config::kMaxPkgMiB) + ", got '" + value + "'");
                    o.pkgMiB = v;
                    break;
                case 'd': {
                    log::Level l;
                    if (!log::parseLevel(value, l))
                        return fail(
                            std::string("-d needs err, warn, notice, info or debug, got '") +
                            value + "'");
                    o.logLevel = l;
                    break;
                }
                case 'l': {
                    config::ListenAddr a;
                    std::string why;
                    if (!config::parseListenAddr(value, a, &why))
                        return fail(std::string("-l '") + value + "': " + why);
                    o.listen.push_back(std::move(a));
                    break;
                }
                case 'L':
                    o.modulesPath = value;
                    break;
                case 'P':
                    o.pidFile = value;
                    break;
                default:
                    return fail(std::string("unknown option -") + flag);
            }
            if (value) break;  // the value consumed the rest of this word
        }
    }
    out = std::move(o);
    return Action::Run;
}

void applyOptions(const Options& opts, config::Config& cfg) {
    if (opts.children) cfg.children = *opts.children;
    if (opts.shmMiB) cfg.shmMiB = *opts.shmMiB;
    if (opts.pkgMiB) cfg.pkgMiB = *opts.pkgMiB;
    if (opts.logLevel) cfg.logLevel = *opts.logLevel;
    if (!opts.listen.empty()) cfg.listen = opts.listen;
    if (!opts.modulesPath.empty()) cfg.modulesPath = opts.modulesPath;
}

}  // namespace osprey::app
