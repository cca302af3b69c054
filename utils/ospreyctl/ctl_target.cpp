#include "utils/ospreyctl/ctl_target.h"

#include <unistd.h>

#include <filesystem>
#include <libconfig.h++>

namespace osprey::ctl {

bool parseTarget(const std::string& spec, Target* out, std::string* error) {
    *out = Target{};
    if (spec.rfind("tcp:", 0) == 0) {
        std::string hp = spec.substr(4);
        size_t colon = hp.rfind(':');
        if (colon == std::string::npos || colon + 1 == hp.size()) {
            *error = "bad socket '" + spec + "': expected tcp:host:port";
            return false;
        }
        out->tcp = true;
        out->host = hp.substr(0, colon);
        if (out->host.size() > 2 && out->host.front() == '[')
            out->host = out->host.substr(1, out->host.size() - 2);
        out->port = static_cast<uint16_t>(std::stoul(hp.substr(colon + 1)));
        out->text = spec;
        return true;
    }
    std::string path = spec.rfind("unix:", 0) == 0 ? spec.substr(5) : spec;
    if (path.empty()) {
        *error = "empty socket path";
        return false;
    }
    out->path = path;
    out->text = "unix:" + path;
    return true;
}

std::string defaultConfigFile() {
    std::string def = OSPREY_SOURCE_DIR "/etc/osprey.cfg";
    if (access(def.c_str(), R_OK) == 0) return def;
    return "/etc/osprey/osprey.cfg";
}

bool targetFromConfig(const std::string& configFile, Target* out, std::string* error) {
    std::error_code ec;
    std::filesystem::path file = std::filesystem::absolute(configFile, ec);
    std::string dir = file.parent_path().string();
    libconfig::Config cfg;
    try {
        cfg.readFile(file.c_str());
    } catch (const libconfig::FileIOException&) {
        *error = "cannot read the config file " + file.string() + " (use -s or -c)";
        return false;
    } catch (const libconfig::ParseException& e) {
        *error = std::string(e.getFile() ? e.getFile() : file.c_str()) + ":" +
                 std::to_string(e.getLine()) + ": " + e.getError();
        return false;
    }
    std::string spec;
    if (!cfg.lookupValue("ctl_socket", spec)) {
        spec = access("/run/osprey", W_OK | X_OK) == 0 ? "/run/osprey/osprey_ctl"
                                                       : dir + "/osprey_ctl";
    }
    if (spec.empty() || spec == "unix:") {
        *error = "ctl_socket is off in " + file.string();
        return false;
    }
    std::string path = spec.rfind("unix:", 0) == 0 ? spec.substr(5) : spec;
    if (spec.rfind("tcp:", 0) != 0 && path.front() != '/') spec = dir + "/" + path;
    return parseTarget(spec, out, error);
}

}  // namespace osprey::ctl
