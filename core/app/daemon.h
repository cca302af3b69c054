// Going to the background (no -D). The launching process waits until the daemon says it is
// ready and exits 0, or exits 1 if the daemon failed to start: a service manager or a script
// running `osprey` learns about a bad start from the exit status, not from a later check.
#pragma once

namespace osprey::app {

// Forks; returns in the daemon (new session, cwd "/", stdin/stdout on /dev/null, stderr too
// unless keepStderr) with *notifyFd set to the descriptor the supervisor reports readiness
// on. The launcher never returns. Returns false if the fork failed.
bool daemonize(bool keepStderr, int* notifyFd);

}  // namespace osprey::app
