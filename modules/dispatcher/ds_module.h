// The dispatcher module's settings (Kamailio's parameter names) and the reload entry point
// shared by ds_reload(), dispatcher.reload and start-up.
#pragma once
#include <string>

namespace osprey::dispatcher {

struct Settings {
    std::string listFile;  // list_file (relative to the config file)
    std::string dbUrl;     // db_url: when set, the table is the source
    std::string tableName = "dispatcher";
    int flags = 0;  // 1: hash over the URI user only; 2: failover
    int useDefault = 0;
    int forceDst = 1;
    std::string hashPvar;
    std::string setidPvname;
    std::string attrsPvname;
    std::string dstAttrsPvname;  // Osprey: the selected destination's attrs
    int pingInterval = 0;        // seconds; 0: no keepalives
    std::string pingMethod = "OPTIONS";
    std::string pingFrom = "sip:dispatcher@localhost";
    std::string pingReplyCodes;
    int probingThreshold = 1;
    int inactiveThreshold = 1;
    int probingMode = 0;
    int pingLatencyStats = 0;
    int latencyAlpha = 100;  // ds_latency_estimator_alpha, per mille
    int hashSize = 0;
    int hashExpire = 7200;
    int hashInitExpire = 7200;
    int hashCheckInterval = 30;
};

// The loader writes the parameters into it (dispatcher.cpp) before init; read-only after.
extern Settings g_settings;
const Settings& settings();
// The list file path as given, made absolute against the config file's directory.
std::string listFilePath();

// Reads the configured source and publishes it; false and *error ("file:line: ...") when the
// list is refused, the current list keeps serving.
bool reloadLists(std::string* error);

}  // namespace osprey::dispatcher
