// The control plane's listening sockets, opened by the master before fork so a restarted
// control process serves the same sockets at once, and closed (unix paths removed) at shutdown.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "core/rpc/rpc_settings.h"
#include "core/rpc/session.h"

namespace osprey::rpc {

struct Listener {
    int fd = -1;
    Front front = Front::Ctl;
    std::string name;      // "unix:/run/osprey/osprey_ctl"
    std::string unixPath;  // removed at close, if it is still this socket's file
    uint64_t inode = 0;    // of unixPath when it was bound
};

// Opens every configured endpoint; false with *error (nothing left open).
bool openListeners(const RpcSettings& s, std::string* error);
void closeListeners();
// In a child that does not serve them: closes the descriptors (the files stay).
void dropListenersInChild();
std::span<const Listener> listeners();

}  // namespace osprey::rpc
