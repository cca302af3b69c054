// The die-while-holding test hook (test_die.h).
#include "mem/lock/test_die.h"

#include <signal.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "mem/mem_log.h"

namespace osprey::mem {

namespace {

struct Plan {
    DieSite site = DieSite::None;
    uint32_t nth = 1;
    std::atomic<uint32_t>* passes = nullptr;  // shared by every process forked after start
};

constexpr const char* kNames[] = {"none", "tm_bucket", "tm_cell", "usrloc_slot", "shm_alloc"};

Plan readPlan() {
    Plan p;
    const char* env = getenv("OSPREY_TEST_DIE_IN");
    if (env == nullptr || *env == '\0') return p;
    const char* colon = strchr(env, ':');
    const size_t len = colon ? static_cast<size_t>(colon - env) : strlen(env);
    for (uint8_t i = 1; i < std::size(kNames); ++i)
        if (strlen(kNames[i]) == len && strncmp(env, kNames[i], len) == 0)
            p.site = static_cast<DieSite>(i);
    if (p.site == DieSite::None) {
        memLog(LOG_ERR, "OSPREY_TEST_DIE_IN=%s: unknown site, the test hook stays off", env);
        return p;
    }
    if (colon != nullptr) p.nth = static_cast<uint32_t>(strtoul(colon + 1, nullptr, 10));
    if (p.nth == 0) p.nth = 1;
    void* m = mmap(nullptr, sizeof(std::atomic<uint32_t>), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        p.site = DieSite::None;
        return p;
    }
    p.passes = new (m) std::atomic<uint32_t>(0);
    return p;
}

// Read before main: the master has not forked yet, so every process shares the counter.
Plan g_plan = readPlan();
bool g_allowed = false;

}  // namespace

DieSite detail::g_dieSite = g_plan.site;

const char* dieSiteName(DieSite s) {
    const auto i = static_cast<size_t>(s);
    return i < std::size(kNames) ? kNames[i] : "?";
}

void testDieAllowHere(bool allow) {
    g_allowed = allow;
}

void detail::dieHere(DieSite s) {
    if (!g_allowed || g_plan.passes == nullptr) return;
    if (g_plan.passes->fetch_add(1, std::memory_order_relaxed) + 1 != g_plan.nth) return;
    memLog(LOG_WARNING, "test hook: process %d dies holding the %s lock (OSPREY_TEST_DIE_IN)",
           static_cast<int>(getpid()), dieSiteName(s));
    kill(getpid(), SIGKILL);
    for (;;) pause();  // SIGKILL cannot be blocked; never go on with the critical section
}

}  // namespace osprey::mem
