#include "modules/tm/tm_rpc.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/sip/method.h"
#include "modules/tm/budget.h"
#include "modules/tm/cell_mem.h"
#include "modules/tm/stats.h"
#include "modules/tm/tm_core.h"

namespace osprey::tm {

namespace {

rpc::Result tmStats() noexcept {
    const Totals t = totals();
    rpc::Value v = rpc::Value::structure();
    v.add("current", t.current);
    v.add("total", t.created);
    v.add("total_local", int64_t{0});  // no locally initiated transactions yet
    v.add("rpl_received", t.rplReceived);
    v.add("rpl_generated", t.rplGenerated);
    v.add("rpl_sent", t.rplGenerated + t.rplRelayed);
    v.add("6xx", t.replied[6]);
    v.add("5xx", t.replied[5]);
    v.add("4xx", t.replied[4]);
    v.add("3xx", t.replied[3]);
    v.add("2xx", t.replied[2]);
    v.add("retransmissions", t.retransmissions);
    v.add("retransmitted", t.retransmitted);
    v.add("branches", t.branches);
    v.add("canceled", t.canceled);
    v.add("no_shm", t.outOfMemory);
    v.add("shm_bytes", t.shmBytes);
    v.add("budget_refused", t.budgetRefused);
    const BudgetState* b = budget();
    v.add("shm_budget", b != nullptr ? b->limits.maxBytes : int64_t{0});
    v.add("max_transactions", b != nullptr ? b->limits.maxCount : int64_t{0});
    return v;
}

// The fields of a cell that never change after it was created, and counters read as they are
// (the bucket lock keeps the cell alive, not its state still).
rpc::Value cellValue(Cell* c) {
    char ptr[32];
    snprintf(ptr, sizeof ptr, "%p", static_cast<void*>(c));
    rpc::Value v = rpc::Value::structure();
    v.add("cell", ptr);
    v.add("tindex", int64_t{c->bucket});
    v.add("tlabel", int64_t{c->label});
    v.add("method", c->piece(c->methodText));
    v.add("from_tag", c->piece(c->fromTag));
    v.add("callid", c->piece(c->callId));
    v.add("cseq", int64_t{c->cseq});
    v.add("uas_request", "yes");
    v.add("tflags", int64_t{c->flags});
    v.add("outgoings", int64_t{c->nBranches});
    v.add("ref_count", int64_t{c->refs.load(std::memory_order_relaxed)});
    v.add("uas_status", int64_t{c->uasStatus});
    return v;
}

rpc::Result tmList() noexcept {
    rpc::Value out = rpc::Value::array();
    if (g_table == nullptr) return out;
    for (uint32_t b = 0; b < g_table->size(); ++b) {
        BucketGuard g = g_table->lock(b);
        for (Cell* c = g_table->bucket(b).head; c != nullptr; c = c->next) out.push(cellValue(c));
    }
    return out;
}

// The INVITE transaction with this Call-ID and CSeq number, with a reference; nullptr if none.
Cell* findInvite(std::string_view callId, uint32_t cseq) {
    const uint32_t b = g_table->bucketOf(callId, cseq);
    BucketGuard g = g_table->lock(b);
    for (Cell* c = g_table->bucket(b).head; c != nullptr; c = c->next) {
        if (c->isInvite() && c->cseq == cseq && c->piece(c->callId) == callId) {
            ref(c);
            return c;
        }
    }
    return nullptr;
}

rpc::Result tmCancel(std::string_view callId, std::string_view cseqText) noexcept {
    if (g_table == nullptr) return rpc::Result::fault(rpc::kInternal, "tm is not running");
    // "1" or "1 INVITE": the number is what identifies the transaction.
    std::string num(cseqText.substr(0, cseqText.find(' ')));
    char* end = nullptr;
    const unsigned long cseq = strtoul(num.c_str(), &end, 10);
    if (num.empty() || *end != '\0' || cseq > 0xFFFFFFFFul)
        return rpc::Result::fault(rpc::kBadRequest, "Callid and CSeq expected as parameters");
    Cell* c = findInvite(callId, static_cast<uint32_t>(cseq));
    if (c == nullptr) return rpc::Result::fault(rpc::kBadRequest, "Transaction not found");
    int remaining = 0;
    {
        CellLock lock(c);
        if (!c->has(kDeleted) && !c->has(kUasFinal)) {
            c->flags |= kCanceled;
            cancelBranches(c, -1);
            for (unsigned i = 0; i < c->nBranches; ++i) {
                if (!c->branches[i]->final) ++remaining;
            }
        }
    }
    unref(c);
    rpc::Value out = rpc::Value::array();
    out.push(int64_t{remaining});
    out.push("branches remaining (waiting for timeout)");
    return out;
}

constexpr rpc::Method kMethods[] = {
    rpc::method<&tmStats>("tm.stats", "", "Print transaction statistics."),
    rpc::method<&tmList>("tm.list", "", "List transactions.", rpc::kReturnsArray),
    rpc::method<&tmCancel>("tm.cancel", "callid cseq",
                           "Cancel the pending branches of an INVITE transaction.",
                           rpc::kReturnsArray),
};

}  // namespace

std::span<const rpc::Method> rpcMethods() {
    return kMethods;
}

}  // namespace osprey::tm
