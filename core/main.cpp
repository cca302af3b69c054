// osprey: the master process's start-up sequence (docs/design.md §2). Each step that belongs to a
// subsystem is a step in the start-up list (core/app/startup.cpp), so this stays short.
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/app/daemon.h"
#include "core/app/heap_report.h"
#include "core/app/hooks.h"
#include "core/app/options.h"
#include "core/app/version.h"
#include "core/config/config.h"
#include "core/log/log.h"
#include "core/proc/crash_handler.h"
#include "core/proc/process_kind.h"
#include "core/proc/supervisor.h"
#include "mem/pkg.h"
#include "mem/shm.h"

namespace {

using namespace osprey;

constexpr int kExitUsage = 2;

std::string absolutePath(const std::string& p) {
    if (p.empty()) return p;
    std::error_code ec;
    return std::filesystem::absolute(p, ec).lexically_normal().string();
}

// -f, or the source tree's etc/osprey.cfg when it exists; "" runs on built-in defaults.
std::string configPath(const app::Options& opts) {
    if (!opts.configFile.empty()) return opts.configFile;
    std::string def = OSPREY_SOURCE_DIR "/etc/osprey.cfg";
    return access(def.c_str(), R_OK) == 0 ? def : std::string();
}

bool loadConfig(const app::Options& opts, config::Config& cfg) {
    std::string path = configPath(opts);
    if (path.empty()) {
        cfg = config::Config{};
        cfg.modulesPath = OSPREY_MODULES_DIR;
        LM_INFO("no configuration file, using built-in defaults");
    } else {
        config::ConfigError err;
        if (!config::loadConfigFile(path, cfg, err)) {
            LM_ERR("%s", err.text().c_str());
            return false;
        }
    }
    app::applyOptions(opts, cfg);
    cfg.modulesPath = absolutePath(cfg.modulesPath);
    return true;
}

int startServer(const app::Options& opts, const config::Config& cfg) {
    int notifyFd = -1;
    if (!opts.foreground && !app::daemonize(opts.logStderr, &notifyFd)) return 1;

    const size_t shmBytes = cfg.shmMiB << 20;
    const size_t pkgBytes = cfg.pkgMiB << 20;
    if (!mem::shmInit(shmBytes)) {
        LM_ERR("cannot create the shared memory segment (%zu MiB)", cfg.shmMiB);
        return 1;
    }
    if (!mem::pkgInit(pkgBytes)) {
        LM_ERR("cannot create the private heap (%zu MiB)", cfg.pkgMiB);
        mem::shmDestroy();
        return 1;
    }
    LM_NOTICE(
        "osprey %s starting (allocator %s, %s build): shm %zu MiB, pkg %zu MiB, %u children, "
        "config %s",
        app::versionString(), app::allocatorName(), OSPREY_BUILD_MODE, cfg.shmMiB, cfg.pkgMiB,
        cfg.children, cfg.file.empty() ? "(defaults)" : cfg.file.c_str());
    app::logHeapStats(log::Level::Notice);

    int rc = 1;
    app::HookContext hc{cfg, false, nullptr};
    if (app::runHooks(app::Stage::MasterInit, hc)) {
        proc::SupervisorOptions so;
        so.pidFile = absolutePath(opts.pidFile);
        so.notifyFd = notifyFd;
        so.pkgBytes = pkgBytes;
        if (so.stopTimeoutMs != proc::kStopGraceMs)
            LM_NOTICE("children get %d ms to stop after SIGTERM%s", so.stopTimeoutMs,
                      proc::runningOnValgrind() ? " (running under valgrind)" : "");
        rc = proc::runMaster(so);
    } else {
        app::runHooks(app::Stage::MasterExit, hc);
    }
    mem::pkgDestroy();
    mem::shmDestroy();
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    app::Options opts;
    std::string error;
    switch (app::parseOptions(argc, argv, opts, &error)) {
        case app::Action::Help:
            fputs(app::usageText(), stdout);
            return 0;
        case app::Action::Version:
            fputs(app::versionText().c_str(), stdout);
            return 0;
        case app::Action::Error:
            fprintf(stderr, "osprey: %s\n%s", error.c_str(), app::usageText());
            return kExitUsage;
        case app::Action::Run:
            break;
    }
    // Until the config says otherwise, problems go to stderr where the user typed the command.
    log::init(log::Target::Stderr, opts.logLevel.value_or(log::Level::Notice));
    log::setProcessName("master");

    config::Config cfg;
    if (!loadConfig(opts, cfg)) return 1;
    config::setCurrent(cfg);
    const config::Config& current = config::current();

    app::HookContext check{current, opts.checkOnly, nullptr};
    if (!app::runHooks(app::Stage::Check, check)) return 1;
    if (opts.checkOnly) {
        printf("osprey: configuration %s is valid\n",
               current.file.empty() ? "(defaults)" : current.file.c_str());
        return 0;
    }

    log::init(opts.logStderr ? log::Target::Stderr : log::Target::Syslog, current.logLevel);
    if (!proc::installCrashHandler())
        LM_WARN("cannot install the crash handler: %s", strerror(errno));
    proc::blockMasterSignals();
    return startServer(opts, current);
}
