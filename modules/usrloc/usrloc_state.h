// What the usrloc module sets up in the master before fork and every process inherits: the
// tables, the change ring and the settings (module parameters).
#pragma once
#include <string>
#include <vector>

#include "core/proc/process_kind.h"
#include "modules/usrloc/change_ring.h"
#include "modules/usrloc/table.h"

namespace osprey::usrloc {

struct Settings {
    int hashSize = 10;  // log2 of the slot count, as Kamailio's hash_size
    int useDomain = 0;
    std::string dbUrl;
    int dbMode = 0;          // 0 memory, 1 write-through, 2 write-back
    int dbFsync = 0;         // 1: SQLite synchronous=FULL (power-loss durable), 0: NORMAL
    int dbTimeoutMs = 3000;  // write-through: longest wait for the commit before a failure
    int timerInterval = 60;  // s: a full expiry sweep, and the write-back flush interval
    std::string preload;     // more table names besides "location"
    int dbQueueKib = 8192;
    int natBflag = -1;  // the branch flag that marks a binding as behind a NAT (-1: none)
};

struct State {
    std::vector<std::string> names;  // index = Table index
    std::vector<Table*> tables;
    ChangeRing* ring = nullptr;
    int eventFd = -1;
    std::string dbPath;
    bool fullSync = false;
};

Settings& settings();
State& state();
// The API other modules get (usrloc.cpp); ul.* RPC methods go through it too.
const Api& api();

// The usrloc process: expiry sweep and database writer (usrloc.cpp).
int usrlocProcessMain(const proc::ChildContext& self);

// Writes whatever the ring holds (master at shutdown, after the children are gone;
// usrloc.cpp).
void finalFlush();

}  // namespace osprey::usrloc
