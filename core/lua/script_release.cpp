// The published routing script in shm.
#include "core/lua/script_release.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <utility>

#include "core/proc/process_table.h"
#include "core/timer/clock.h"
#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "mem/shm.h"

namespace osprey::lua {

namespace {

constexpr size_t kPathMax = 1024;
constexpr size_t kErrorMax = 240;

// Plain fields: written and read under Release::lock (reloads and switches are rare).
struct ProcessRow {
    uint64_t generation = 0;
    uint64_t failedGeneration = 0;
    uint32_t failures = 0;
    int64_t changedMs = 0;
    int64_t nextRetryMs = 0;
    char error[kErrorMax] = {};
};

struct Release {
    mem::FutexMutex lock;
    // Written under the lock after the text it names; read without it by every process's
    // wake-up check (acquire pairs with the release store).
    std::atomic<uint64_t> generation{0};
    char* text = nullptr;  // shm copy, textLen bytes
    size_t textLen = 0;
    char path[kPathMax] = {};
    int64_t publishedMs = 0;
    uint64_t reloads = 0;
    uint64_t refused = 0;
    int64_t lastReloadMs = 0;
    bool lastReloadOk = true;
    char lastError[kErrorMax] = {};
    ProcessRow rows[mem::kMaxProcesses];
};

Release* g_release = nullptr;

void copyText(char* dst, size_t cap, std::string_view src) {
    const size_t n = std::min(src.size(), cap - 1);
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

ProcessRow* row(unsigned slot) {
    return g_release != nullptr && slot < mem::kMaxProcesses ? &g_release->rows[slot] : nullptr;
}

}  // namespace

bool createScriptRelease() {
    if (g_release != nullptr) return true;
    void* p = mem::shmAllocZero(sizeof(Release));
    if (p == nullptr) return false;
    g_release = new (p) Release();
    return true;
}

void destroyScriptRelease() {
    if (g_release == nullptr) return;
    if (g_release->text != nullptr) mem::shmFree(g_release->text);
    g_release->~Release();
    mem::shmFree(g_release);
    g_release = nullptr;
}

bool scriptReleaseReady() {
    return g_release != nullptr;
}

bool publishScript(std::string_view path, std::string_view text, uint64_t* generation) {
    if (g_release == nullptr) return false;
    char* copy = static_cast<char*>(mem::shmAlloc(text.size() + 1));
    if (copy == nullptr) return false;
    std::memcpy(copy, text.data(), text.size());
    copy[text.size()] = '\0';
    char* old = nullptr;
    {
        mem::LockGuard g(g_release->lock);
        old = g_release->text;
        g_release->text = copy;
        g_release->textLen = text.size();
        copyText(g_release->path, kPathMax, path);
        g_release->publishedMs = timer::wallMs();
        const uint64_t next = g_release->generation.load(std::memory_order_relaxed) + 1;
        if (next > 1) {
            ++g_release->reloads;
            g_release->lastReloadMs = g_release->publishedMs;
            g_release->lastReloadOk = true;
            g_release->lastError[0] = '\0';
        }
        g_release->generation.store(next, std::memory_order_release);
        *generation = next;
    }
    // Nobody reads the old copy any more: readers copy it out under the lock.
    if (old != nullptr) mem::shmFree(old);
    return true;
}

uint64_t publishedGeneration() noexcept {
    return g_release != nullptr ? g_release->generation.load(std::memory_order_acquire) : 0;
}

bool copyPublishedScript(std::string* path, std::string* text, uint64_t* generation) {
    if (g_release == nullptr) return false;
    mem::LockGuard g(g_release->lock);
    if (g_release->text == nullptr) return false;
    path->assign(g_release->path);
    text->assign(g_release->text, g_release->textLen);
    *generation = g_release->generation.load(std::memory_order_relaxed);
    return true;
}

void recordRefusedReload(std::string_view error) {
    if (g_release == nullptr) return;
    mem::LockGuard g(g_release->lock);
    ++g_release->refused;
    g_release->lastReloadMs = timer::wallMs();
    g_release->lastReloadOk = false;
    copyText(g_release->lastError, kErrorMax, error);
}

void recordProcessGeneration(unsigned slot, uint64_t generation) {
    ProcessRow* r = row(slot);
    if (r == nullptr) return;
    mem::LockGuard g(g_release->lock);
    r->generation = generation;
    r->failedGeneration = 0;
    r->failures = 0;
    r->changedMs = timer::wallMs();
    r->nextRetryMs = 0;
    r->error[0] = '\0';
}

void recordProcessFailure(unsigned slot, uint64_t generation, uint32_t failures,
                          int64_t nextRetryMs, std::string_view error) {
    ProcessRow* r = row(slot);
    if (r == nullptr) return;
    mem::LockGuard g(g_release->lock);
    r->failedGeneration = generation;
    r->failures = failures;
    r->nextRetryMs = nextRetryMs;
    copyText(r->error, kErrorMax, error);
}

void clearProcessRow(unsigned slot) {
    ProcessRow* r = row(slot);
    if (r == nullptr) return;
    mem::LockGuard g(g_release->lock);
    *r = ProcessRow{};
}

uint64_t processGeneration(unsigned slot) {
    ProcessRow* r = row(slot);
    if (r == nullptr) return 0;
    mem::LockGuard g(g_release->lock);
    return r->generation;
}

ScriptStatus scriptStatus() {
    ScriptStatus s;
    if (g_release == nullptr) return s;
    mem::LockGuard g(g_release->lock);
    s.generation = g_release->generation.load(std::memory_order_relaxed);
    s.path = g_release->path;
    s.publishedMs = g_release->publishedMs;
    s.reloads = g_release->reloads;
    s.refused = g_release->refused;
    s.lastReloadMs = g_release->lastReloadMs;
    s.lastReloadOk = g_release->lastReloadOk;
    s.lastError = g_release->lastError;
    for (unsigned slot = 0; slot < mem::kMaxProcesses; ++slot) {
        const ProcessRow& r = g_release->rows[slot];
        if (r.generation == 0 && r.failures == 0) continue;
        ScriptStatus::Process p;
        p.slot = slot;
        p.generation = r.generation;
        p.failedGeneration = r.failedGeneration;
        p.failures = r.failures;
        p.changedMs = r.changedMs;
        p.nextRetryMs = r.nextRetryMs;
        p.error = r.error;
        s.processes.push_back(std::move(p));
    }
    if (const proc::ProcessTable* table = proc::processTable()) {
        for (ScriptStatus::Process& p : s.processes) {
            if (p.slot >= table->used) continue;
            const proc::ProcessEntry& e = table->entries[p.slot];
            p.pid = e.pid.load(std::memory_order_relaxed);
            p.name = e.name;
            p.rank = e.rank;
        }
    }
    return s;
}

}  // namespace osprey::lua
