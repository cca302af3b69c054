#include "test/bench/load/uac.h"

#include <poll.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

#include "test/bench/load/datagram_batch.h"
#include "test/bench/load/latency_stats.h"
#include "test/bench/load/runtime.h"
#include "test/bench/load/sip_text.h"
#include "test/bench/load/transaction_table.h"

namespace osprey::load {

namespace {

struct Counters {
    uint64_t sent = 0, ok = 0, fail = 0, timeout = 0;
};

// Paces new transactions to a rate. When the tool falls more than 20 ms behind (a stall of
// the machine), it forgets the backlog instead of bursting it out, and counts what it skipped.
class Pacer {
public:
    Pacer(double rate, uint64_t startNs) : rate_(rate), baseNs_(startNs) {}

    // How many may start now, given `started` so far (unbounded when not paced).
    int64_t budget(uint64_t nowNs, uint64_t started) {
        if (rate_ <= 0) return INT64_MAX;
        int64_t due = static_cast<int64_t>(baseCount_) +
                      static_cast<int64_t>(static_cast<double>(nowNs - baseNs_) / 1e9 * rate_);
        int64_t budget = due - static_cast<int64_t>(started);
        if (budget > static_cast<int64_t>(rate_ * 0.02) + kBatch) {
            dropped_ += static_cast<uint64_t>(budget - 1);
            baseNs_ = nowNs;
            baseCount_ = started;
            budget = 1;
        }
        return budget;
    }
    // Nanoseconds until the next one is due (0 when one is due now or not paced).
    uint64_t waitNs(uint64_t nowNs, uint64_t started) const {
        if (rate_ <= 0) return 0;
        double dueAt = static_cast<double>(baseNs_) +
                       static_cast<double>(started + 1 - baseCount_) / rate_ * 1e9;
        return dueAt > static_cast<double>(nowNs) ? static_cast<uint64_t>(dueAt - nowNs) : 0;
    }
    uint64_t dropped() const { return dropped_; }

private:
    double rate_;
    uint64_t baseNs_;
    uint64_t baseCount_ = 0;
    uint64_t dropped_ = 0;
};

class Uac {
public:
    explicit Uac(const UacOptions& o)
        : opts_(o),
          table_(o.window),
          latency_(o.count      ? o.count
                   : o.rate > 0 ? static_cast<size_t>(o.rate * o.duration)
                                : 1u << 20) {}

    int run();

private:
    void startTransaction(uint64_t now, bool measuring);
    void onResponse(std::string_view msg, uint64_t now);
    void onInviteFinal(Transaction& t, uint32_t slot, int code, const SplitMessage& resp,
                       uint64_t now);
    void finish(Transaction& t, uint32_t slot, bool ok, uint64_t now);
    char* outBuffer();
    void flush();
    void printResult(uint64_t measuredNs, double cpuPct, uint64_t rateDropped);

    UacOptions opts_;
    RequestContext ctx_;
    TransactionTable table_;
    LatencyStats latency_;
    SendBatch out_;
    RecvBatch in_;
    SplitMessage split_;
    int fd_ = -1;
    uint64_t nextSeq_ = 1;
    Counters measured_, total_;
    uint64_t stray_ = 0, sendDropped_ = 0;
};

char* Uac::outBuffer() {
    if (out_.full()) flush();
    return out_.next();
}

void Uac::flush() {
    // What the kernel refused is counted; those transactions will time out.
    int queued = out_.size();
    sendDropped_ += static_cast<uint64_t>(queued - out_.flush(fd_));
}

void Uac::startTransaction(uint64_t now, bool measuring) {
    uint32_t slot = 0;
    uint64_t seq = nextSeq_++;
    Transaction* t = table_.open(seq, now, measuring, slot);
    if (!t) return;
    char branch[64];
    formatBranch(branch, ctx_.runId, BranchId{slot, t->generation, 'i'});
    char* buf = outBuffer();
    size_t len = writeInitialRequest(ctx_, seq, branch, buf, kMaxDatagram);
    if (len == 0) {
        table_.close(slot);
        return;
    }
    out_.commit(len, &opts_.target.addr, opts_.target.len);
    total_.sent++;
    if (measuring) measured_.sent++;
}

void Uac::finish(Transaction& t, uint32_t slot, bool ok, uint64_t now) {
    (ok ? total_.ok : total_.fail)++;
    if (t.measured) {
        (ok ? measured_.ok : measured_.fail)++;
        if (ok) latency_.add((now - t.startNs) / 1000);
    }
    table_.close(slot);
}

void Uac::onInviteFinal(Transaction& t, uint32_t slot, int code, const SplitMessage& resp,
                        uint64_t now) {
    char branch[64];
    if (code >= 300) {
        // The ACK of a failed INVITE belongs to the INVITE's transaction: same branch.
        formatBranch(branch, ctx_.runId, BranchId{slot, t.generation, 'i'});
        char* buf = outBuffer();
        size_t len = writeAckNon2xx(ctx_, resp, branch, buf, kMaxDatagram);
        if (len) out_.commit(len, &opts_.target.addr, opts_.target.len);
        finish(t, slot, false, now);
        return;
    }
    formatBranch(branch, ctx_.runId, BranchId{slot, t.generation, 'a'});
    char* buf = outBuffer();
    size_t len = writeAck2xx(ctx_, resp, branch, buf, kMaxDatagram);
    if (len == 0) {
        finish(t, slot, false, now);
        return;
    }
    out_.commit(len, &opts_.target.addr, opts_.target.len);
    formatBranch(branch, ctx_.runId, BranchId{slot, t.generation, 'b'});
    buf = outBuffer();
    len = writeBye(ctx_, resp, branch, buf, kMaxDatagram);
    if (len == 0) {
        finish(t, slot, false, now);
        return;
    }
    out_.commit(len, &opts_.target.addr, opts_.target.len);
    t.phase = 'b';
    t.phaseNs = now;
}

void Uac::onResponse(std::string_view msg, uint64_t now) {
    int code = statusCode(msg);
    if (code == 0 || !splitMessage(msg, split_)) {
        stray_++;
        return;
    }
    std::optional<BranchId> id;
    for (int i = 0; i < split_.count && !id; i++)
        if (headerIs(split_.headers[i].name, "via", 'v'))
            id = parseBranch(split_.headers[i].value, ctx_.runId);
    Transaction* t = id ? table_.find(id->slot, id->generation) : nullptr;
    if (!t || t->phase != id->phase) {
        stray_++;  // another run's, late (after its timeout), or a retransmission
        return;
    }
    if (code < 200) return;  // provisional: 100 Trying, 180 Ringing
    if (opts_.scenario == Scenario::Invite && t->phase == 'i')
        onInviteFinal(*t, id->slot, code, split_, now);
    else
        finish(*t, id->slot, code < 300, now);
}

int Uac::run() {
    fd_ = openUdpSocket(opts_.bind, true);
    if (fd_ < 0) {
        std::fprintf(stderr, "uac: cannot bind %s: %s\n", opts_.bind.uriHostPort().c_str(),
                     std::strerror(errno));
        return 1;
    }
    Endpoint local = withPort(opts_.bind, boundPort(fd_));
    ctx_.scenario = opts_.scenario;
    ctx_.local = local.uriHostPort();
    ctx_.localHost = local.uriHost();
    ctx_.target = opts_.target.uriHostPort();
    ctx_.targetHost = opts_.target.uriHost();
    ctx_.uas = opts_.uas.uriHostPort();
    ctx_.aors = opts_.aors;
    ctx_.runId = std::random_device{}() ^ static_cast<uint32_t>(getpid());
    installStopSignals();

    const uint64_t timeoutNs = static_cast<uint64_t>(opts_.timeoutMs * 1e6);
    const uint64_t t0 = nowNs();
    const uint64_t tWarm = t0 + static_cast<uint64_t>(opts_.warmup * 1e9);
    const uint64_t tEnd = tWarm + static_cast<uint64_t>(opts_.duration * 1e9);
    const double cpu0 = cpuSeconds();
    Pacer pacer(opts_.rate, t0);
    bool sending = true;
    uint64_t tStop = 0, lastExpire = t0;

    for (;;) {
        uint64_t now = nowNs();
        if (sending &&
            (stopRequests() > 0 || now >= tEnd || (opts_.count && total_.sent >= opts_.count))) {
            sending = false;
            tStop = now;
        }
        // Drain: wait for the outstanding ones, at most one timeout; a second signal quits.
        if (!sending &&
            (table_.outstanding() == 0 || now - tStop > timeoutNs || stopRequests() > 1))
            break;
        int64_t allow = 0;
        if (sending) {
            allow = static_cast<int64_t>(table_.capacity() - table_.outstanding());
            allow = std::min(allow, pacer.budget(now, total_.sent));
            if (opts_.count)
                allow = std::min(allow, static_cast<int64_t>(opts_.count - total_.sent));
            allow = std::min<int64_t>(allow, kBatch);
            for (int64_t i = 0; i < allow; i++) startTransaction(now, now >= tWarm);
        }
        if (!out_.empty()) flush();
        int n = in_.receive(fd_, MSG_DONTWAIT);
        if (n > 0) {
            now = nowNs();
            for (int i = 0; i < n; i++) onResponse(in_.message(i), now);
            if (!out_.empty()) flush();
        }
        if (now - lastExpire >= 1000000) {
            lastExpire = now;
            table_.expire(now, timeoutNs, [&](const Transaction& t) {
                total_.timeout++;
                if (t.measured) measured_.timeout++;
            });
        }
        if (allow <= 0 && n == 0) {
            // Nothing to do: sleep until a response, the next paced send, or 1 ms.
            uint64_t waitNs = 1000000;
            if (sending && table_.outstanding() < table_.capacity() && opts_.rate > 0)
                waitNs = std::min(waitNs, pacer.waitNs(now, total_.sent));
            pollfd p{fd_, POLLIN, 0};
            timespec ts{0, static_cast<long>(waitNs)};
            if (waitNs > 0) ppoll(&p, 1, &ts, nullptr);
        }
    }
    const uint64_t tDone = nowNs();
    table_.forEachBusy([&](const Transaction& t) {
        total_.timeout++;
        if (t.measured) measured_.timeout++;
    });
    close(fd_);
    if (tStop == 0) tStop = tDone;
    uint64_t measuredNs = tStop > tWarm ? tStop - tWarm : 1;
    double wall = static_cast<double>(tDone - t0) / 1e9;
    printResult(measuredNs, wall > 0 ? 100.0 * (cpuSeconds() - cpu0) / wall : 0, pacer.dropped());
    return 0;
}

void Uac::printResult(uint64_t measuredNs, double cpuPct, uint64_t rateDropped) {
    latency_.finish();
    double seconds = static_cast<double>(measuredNs) / 1e9;
    uint64_t done = measured_.ok + measured_.fail + measured_.timeout;
    double failPct =
        done ? 100.0 * static_cast<double>(measured_.fail + measured_.timeout) / done : 0;
    auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    std::printf(
        "RESULT scenario=%s target=%s window=%u rate=%.0f duration_s=%.2f sent=%llu ok=%llu "
        "fail=%llu timeout=%llu fail_pct=%.4f rps=%.1f p50_us=%llu p90_us=%llu p99_us=%llu "
        "max_us=%llu stray=%llu rate_dropped=%llu send_dropped=%llu uac_cpu_pct=%.1f "
        "sent_total=%llu ok_total=%llu\n",
        scenarioName(opts_.scenario), opts_.target.uriHostPort().c_str(), opts_.window, opts_.rate,
        seconds, u(measured_.sent), u(measured_.ok), u(measured_.fail), u(measured_.timeout),
        failPct, static_cast<double>(measured_.ok) / seconds, u(latency_.percentile(0.50)),
        u(latency_.percentile(0.90)), u(latency_.percentile(0.99)), u(latency_.max()), u(stray_),
        u(rateDropped), u(sendDropped_), cpuPct, u(total_.sent), u(total_.ok));
    std::fflush(stdout);
}

}  // namespace

int runUac(const UacOptions& opts) {
    auto uac = std::make_unique<Uac>(opts);  // large (batch buffers): not on the stack
    return uac->run();
}

}  // namespace osprey::load
