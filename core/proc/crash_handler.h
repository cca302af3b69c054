// Writes a backtrace to the log when a process crashes (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
// SIGABRT), then lets the signal kill the process so the master sees why it died.
#pragma once

namespace osprey::proc {

// Installs the handlers on an alternate signal stack (a stack overflow still gets its
// backtrace). Call once in the master; children inherit it through fork.
bool installCrashHandler();

}  // namespace osprey::proc
