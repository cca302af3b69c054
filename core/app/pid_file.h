// The pid file (-P): written by the master when the server is ready, so its presence means
// "up"; removed at exit only if it still names this process.
#pragma once
#include <string>

namespace osprey::app {

bool writePidFile(const std::string& path, int pid);
void removePidFile(const std::string& path, int pid);

}  // namespace osprey::app
