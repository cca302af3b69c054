// osprey-load: the SIP-over-UDP load tool of Osprey's benchmarks (docs/benchmarks.md).
// One binary, three modes: uac (load), uas (the far end), relay (the floor of forwarding).
#include <cstdio>

#include "test/bench/load/cli.h"

int main(int argc, char** argv) {
    using namespace osprey::load;
    Command cmd = parseCommandLine(argc, argv);
    if (auto* err = std::get_if<CliError>(&cmd)) {
        if (!err->message.empty()) std::fprintf(stderr, "osprey-load: %s\n", err->message.c_str());
        std::fputs(usageText(), stderr);
        return 2;
    }
    if (auto* o = std::get_if<UasOptions>(&cmd)) return runUas(*o);
    if (auto* o = std::get_if<RelayOptions>(&cmd)) return runRelay(*o);
    return runUac(std::get<UacOptions>(cmd));
}
