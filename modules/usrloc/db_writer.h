// The database side of the usrloc process: drains the change ring into SQLite, reopens a
// database that failed (every timer_interval), and counts what could not be written. A failing
// database never backs up into SIP service: its changes are dropped (and reported) instead.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/log/log.h"
#include "core/timer/clock.h"
#include "modules/usrloc/reply_sender.h"
#include "modules/usrloc/sqlite_store.h"
#include "modules/usrloc/usrloc_state.h"

namespace osprey::usrloc {

class DbWriter {
public:
    explicit DbWriter(State& st) : st_(st) { store_.setFullSync(st.fullSync); }

    void openIfDue(int64_t nowMs, int64_t retryMs) {
        if (store_.isOpen() || (lastOpenTry_ != 0 && nowMs - lastOpenTry_ < retryMs)) return;
        lastOpenTry_ = nowMs;
        std::string error;
        if (store_.open(st_.dbPath, st_.names, &error)) {
            if (failed_) LM_NOTICE("usrloc: database %s is usable again", st_.dbPath.c_str());
            failed_ = false;
            return;
        }
        if (!failed_) {
            LM_ERR(
                "usrloc: cannot open database %s: %s; bindings stay in memory only (SIP "
                "service continues%s), retrying every %lld s",
                st_.dbPath.c_str(), error.c_str(),
                settings().dbMode == 1 ? "; write-through REGISTERs are answered 500" : "",
                static_cast<long long>(retryMs / 1000));
        }
        failed_ = true;
    }

    // Writes everything queued in one transaction, tells the write-through waiters of those
    // changes how it went and sends the write-through replies queued with them (one commit for
    // all of them: group commit).
    void flush() {
        buf_.clear();
        uint64_t through = 0;
        const size_t n = st_.ring->drain(buf_, &through);
        if (n == 0) return;
        const std::string_view records(buf_.data(), buf_.size());
        std::string error;
        size_t written = 0;
        const bool ok = store_.isOpen() && store_.apply(records, st_.names, &written, &error);
        st_.ring->commits().publish(through, ok);
        sendReplies(records, st_.ring->commits(), st_.dbPath.c_str());
        if (ok) {
            LM_DBG("usrloc: %zu changes written to %s", written, st_.dbPath.c_str());
            return;
        }
        dropped_ += n;
        if (!store_.isOpen()) return;
        LM_ERR("usrloc: writing %zu changes to %s failed: %s; closing it, retrying later", n,
               st_.dbPath.c_str(), error.c_str());
        store_.close();
        failed_ = true;
    }

    void purge() {
        if (!store_.isOpen()) return;
        std::string error;
        if (!store_.purgeExpired(st_.names, nowSeconds(), &error))
            LM_ERR("usrloc: purging expired rows from %s: %s", st_.dbPath.c_str(), error.c_str());
    }

    void reportDrops() {
        const uint64_t ringDrops = st_.ring->dropped();
        if (dropped_ == reported_ && ringDrops == reportedRing_) return;
        LM_WARN(
            "usrloc: %llu changes not written to %s (database unusable), %llu lost to a full "
            "queue",
            static_cast<unsigned long long>(dropped_), st_.dbPath.c_str(),
            static_cast<unsigned long long>(ringDrops));
        reported_ = dropped_;
        reportedRing_ = ringDrops;
    }

private:
    State& st_;
    SqliteStore store_;
    std::vector<char> buf_;
    int64_t lastOpenTry_ = 0;
    bool failed_ = false;
    uint64_t dropped_ = 0;
    uint64_t reported_ = 0;
    uint64_t reportedRing_ = 0;
};

// Monotonic milliseconds (for intervals).
inline int64_t monoMs() {
    return timer::nowMs();
}

}  // namespace osprey::usrloc
