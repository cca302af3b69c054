// Command line of osprey-load: the mode word, then that mode's options. Every address must
// be loopback (127.0.0.0/8 or ::1) unless --allow-non-loopback is given, so a benchmark can
// never load someone else's host by a typo.
#pragma once
#include <string>
#include <variant>

#include "test/bench/load/relay.h"
#include "test/bench/load/uac.h"
#include "test/bench/load/uas.h"

namespace osprey::load {

struct CliError {
    std::string message;  // empty: print the usage only
};

using Command = std::variant<UasOptions, UacOptions, RelayOptions, CliError>;

Command parseCommandLine(int argc, char** argv);
const char* usageText();

}  // namespace osprey::load
