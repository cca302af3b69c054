// What /proc says about processes, for tests that check the process tree: which processes
// are children of the master, and whether one is still alive (a zombie is not).
#pragma once
#include <functional>
#include <vector>

namespace osprey::testsupport {

std::vector<int> childrenOf(int pid);  // live (non-zombie) processes whose parent is pid
int parentOf(int pid);                 // -1 when the process does not exist
char processState(int pid);            // 'R', 'S', 'Z', ...; 0 when it does not exist
bool processAlive(int pid);            // exists and is not a zombie

// Makes this (test) process adopt orphans, so a child of osprey that outlives its master
// becomes ours: tests can see it, and reap it.
void becomeSubreaper();
// Reaps pid if it is our child (an adopted orphan) and has exited; never blocks.
void reapIfExited(int pid);

// Calls `done` until it returns true or timeoutMs passes; checks every stepMs. For states
// that have no event to wait on (another process's /proc entry); false on timeout.
bool pollUntil(const std::function<bool()>& done, int timeoutMs, int stepMs = 5);

}  // namespace osprey::testsupport
