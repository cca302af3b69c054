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

Plan g_plan;
bool g_allowed = false;

std::atomic<uint32_t>* sharedCounter() {
    static std::atomic<uint32_t>* counter = nullptr;
    if (counter == nullptr) {
        void* m = mmap(nullptr, sizeof(std::atomic<uint32_t>), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (m != MAP_FAILED) counter = new (m) std::atomic<uint32_t>(0);
    }
    return counter;
}

// Read before main: the master has not forked yet, so every process shares the counter.
[[maybe_unused]] const bool g_fromEnv = testDieConfigure(getenv("OSPREY_TEST_DIE_IN"));

}  // namespace

DieSite detail::g_dieSite = DieSite::None;

bool testDieConfigure(const char* spec) {
    g_plan = Plan{};
    detail::g_dieSite = DieSite::None;
    if (spec == nullptr || *spec == '\0') return true;
    const char* colon = strchr(spec, ':');
    const size_t len = colon ? static_cast<size_t>(colon - spec) : strlen(spec);
    DieSite site = DieSite::None;
    for (uint8_t i = 1; i < std::size(kNames); ++i)
        if (strlen(kNames[i]) == len && strncmp(spec, kNames[i], len) == 0)
            site = static_cast<DieSite>(i);
    std::atomic<uint32_t>* counter = site != DieSite::None ? sharedCounter() : nullptr;
    if (counter == nullptr) {
        memLog(LOG_ERR, "OSPREY_TEST_DIE_IN=%s: unknown site, the test hook stays off", spec);
        return false;
    }
    counter->store(0, std::memory_order_relaxed);
    g_plan.site = site;
    g_plan.nth = colon != nullptr ? static_cast<uint32_t>(strtoul(colon + 1, nullptr, 10)) : 1;
    if (g_plan.nth == 0) g_plan.nth = 1;
    g_plan.passes = counter;
    detail::g_dieSite = site;
    memLog(LOG_WARNING, "test hook armed: a SIP worker dies holding the %s lock (pass %u)",
           dieSiteName(site), g_plan.nth);
    return true;
}

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
