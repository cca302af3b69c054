// tm: stateful transactions (Kamailio's tm module; docs/design.md §6, docs/ksr-api.md).
//   KSR.tm.t_relay()            create the transaction and forward to every branch (> 0),
//                               0 absorbed retransmission, < 0 error (script: sl_reply_error)
//   KSR.tm.t_check_trans()      CANCEL: 1 its INVITE exists / -1; ACK: 1 end-to-end (2xx),
//                               0 absorbed (negative), -1 none; others: 0 retransmission
//                               (last reply resent) / -1 none
//   KSR.tm.t_newtran(), t_reply(code, reason), t_on_failure/t_on_branch/t_on_reply(name),
//   t_is_canceled(), t_check_status(regex), t_set_fr(fr_inv, fr)
// Parameters (ms, as Kamailio): retr_timer1 (T1), retr_timer2 (T2), fr_timer, fr_inv_timer,
// wt_timer, max_inv_lifetime, max_noninv_lifetime, auto_inv_100, hash_size (power of two),
// max_shm_percent, max_transactions, budget_retry_after (the shm budget, budget.h).
#include <regex.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/route/dispatch.h"
#include "core/route/forward.h"
#include "core/route/msg_context.h"
#include "core/route/send_reply.h"
#include "core/sip/msg.h"
#include "core/timer/timer_process.h"
#include "mem/shm.h"
#include "modules/tm/api.h"
#include "modules/tm/budget.h"
#include "modules/tm/match.h"
#include "modules/tm/precheck.h"
#include "modules/tm/stats.h"
#include "modules/tm/tm_core.h"
#include "modules/tm/tm_rpc.h"

namespace osprey::tm {

Params g_params;
Params* g_live = &g_params;

timer::TimerWheel& wheel() {
    return *timer::sharedWheel();
}

void releaseMsgState(route::MsgContext&, void* data) {
    auto* st = static_cast<MsgState*>(data);
    if (st->cell != nullptr) unref(st->cell);
    if (st->precheckClaimed) releasePrecheck(st->precheckKey);
    st->cell = nullptr;
}

const route::MsgExtension kMsgExtension = {
    .onReply = &onReply,
    .release = &releaseMsgState,
};

}  // namespace osprey::tm

namespace {

using namespace osprey;
using namespace osprey::tm;

Cell* currentCell(route::MsgContext& mc) {
    MsgState* st = msgState(mc, false);
    return st != nullptr ? st->cell : nullptr;
}

// Finds the transaction a request belongs to; a reference is taken on it.
Cell* lookup(route::MsgContext& mc, MatchKind* how) {
    RequestKey k;
    *how = MatchKind::None;
    if (!requestKey(mc.msg, &k)) return nullptr;
    const uint32_t bucket = g_table->bucketOf(k.callId, k.cseq);
    BucketGuard g = g_table->lock(bucket);
    Cell* c = matchRequest(g_table->bucket(bucket), k, how);
    if (c != nullptr) ref(c);
    return c;
}

int relayCancel(route::MsgContext& mc) {
    MatchKind how;
    Cell* c = lookup(mc, &how);
    if (c == nullptr) return route::forwardRequest(mc) ? 1 : -1;
    route::sendReply(mc, 200, "Canceling");
    {
        CellLock lk(c);
        if (!c->has(kUasFinal) && !c->has(kDeleted) && !c->has(kCanceled)) {
            c->flags |= kCanceled;
            stats::inc(counters().canceled);
            if (cancelBranches(c, -1)) branchesDone(c);
        }
    }
    unref(c);
    return 1;
}

int tRelay(lua::Ctx& ctx) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest() || g_table == nullptr) return -1;
    const sip::Method m = mc->msg.method();
    if (m == sip::Method::Ack) {
        MatchKind how;
        Cell* c = lookup(*mc, &how);
        if (c != nullptr) {
            if (how == MatchKind::AckNeg) {
                {
                    CellLock lk(c);
                    ackReceived(c);
                }
                unref(c);
                return 0;
            }
            unref(c);
        }
        return route::forwardRequest(*mc) ? 1 : -1;  // end-to-end ACK: statelessly
    }
    if (m == sip::Method::Cancel) return relayCancel(*mc);
    Cell* c = nullptr;
    const int rc = newTransaction(*mc, &c, true);
    if (rc <= 0) return rc;
    CellLock lk(c);
    if (c->has(kUasFinal) || c->has(kDeleted)) return -1;
    sendTrying(c, mc->msg);
    c->msgFlags = ctx.flags;  // flags set since t_newtran or in a failure route count
    if (forwardBranches(c, *mc) > 0) return 1;
    if (failureCell() == c) return -1;  // the failure route's caller sends the best reply
    for (unsigned i = 0; i < c->nBranches; ++i) {
        if (!c->branches[i]->final) return -1;  // an earlier t_relay's branches go on
    }
    // Nothing could be sent: the transaction goes, the script answers (sl_reply_error).
    deleteCell(c);
    return -1;
}

int tCheckTrans(lua::Ctx& ctx) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest() || g_table == nullptr) return -1;
    MatchKind how;
    Cell* c = lookup(*mc, &how);
    if (c == nullptr) return -1;
    int r = -1;
    switch (mc->msg.method()) {
        case sip::Method::Cancel:
            r = 1;
            break;
        case sip::Method::Ack:
            if (how == MatchKind::Ack2xx) {
                r = 1;
            } else {
                CellLock lk(c);
                ackReceived(c);
                r = 0;
            }
            break;
        default:
            absorbRetransmission(c);
            r = 0;
    }
    unref(c);
    return r;
}

int tNewtran(lua::Ctx& ctx) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest() || g_table == nullptr) return -1;
    Cell* c = nullptr;
    const int rc = newTransaction(*mc, &c);
    return rc < 0 ? -1 : (rc == 0 ? 0 : 1);
}

int tReply(lua::Ctx& ctx, int code, std::string_view reason) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest() || g_table == nullptr) return -1;
    if (code < 100 || code > 699 || mc->msg.method() == sip::Method::Ack) return -1;
    Cell* c = currentCell(*mc);
    if (c == nullptr) {
        const int rc = newTransaction(*mc, &c);
        if (rc <= 0) return rc < 0 ? -1 : 1;
    }
    CellLock lk(c);
    if (c->has(kDeleted) || (c->has(kUasFinal) && code >= 200)) return -1;
    return sendLocalReply(c, &mc->msg, code, reason) ? 1 : -1;
}

enum class RouteKind { Failure, Branch, Reply };

int setRoute(lua::Ctx& ctx, std::string_view name, RouteKind kind) {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr) return -1;
    const uint8_t id = routeId(name);
    if (id == 0) {
        LM_ERR("tm: cannot register route '%.*s' (empty, too long or too many routes)",
               static_cast<int>(name.size()), name.data());
        return -1;
    }
    auto apply = [&](uint8_t& failure, uint8_t& branch, uint8_t& reply) {
        (kind == RouteKind::Failure ? failure : kind == RouteKind::Branch ? branch : reply) = id;
    };
    if (Cell* c = currentCell(*mc)) {
        CellLock lk(c);
        apply(c->onFailure, c->onBranch, c->onReply);
        return 1;
    }
    MsgState* st = msgState(*mc, true);
    if (st == nullptr) return -1;
    apply(st->onFailure, st->onBranch, st->onReply);
    return 1;
}

int tOnFailure(lua::Ctx& ctx, std::string_view name) noexcept {
    return setRoute(ctx, name, RouteKind::Failure);
}
int tOnBranch(lua::Ctx& ctx, std::string_view name) noexcept {
    return setRoute(ctx, name, RouteKind::Branch);
}
int tOnReply(lua::Ctx& ctx, std::string_view name) noexcept {
    return setRoute(ctx, name, RouteKind::Reply);
}

// Kamailio's t_is_set("branch_route" | "failure_route" | "onreply_route"): 1 when the script
// armed that route for the transaction (or, before there is one, for this request); the
// first letter decides, as in Kamailio.
int tIsSet(lua::Ctx& ctx, std::string_view target) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || target.empty()) return -1;
    uint8_t failure = 0, branch = 0, reply = 0;
    if (Cell* c = currentCell(*mc)) {
        CellLock lk(c);
        failure = c->onFailure;
        branch = c->onBranch;
        reply = c->onReply;
    } else if (const MsgState* st = msgState(*mc, false)) {
        failure = st->onFailure;
        branch = st->onBranch;
        reply = st->onReply;
    }
    switch (target[0]) {
        case 'b':
            return branch != 0 ? 1 : -1;
        case 'f':
            return failure != 0 ? 1 : -1;
        case 'o':
            return reply != 0 ? 1 : -1;
        default:
            return -1;
    }
}

int tIsCanceled(lua::Ctx& ctx) noexcept {
    Cell* c = ctx.route != nullptr ? currentCell(*ctx.route) : nullptr;
    if (c == nullptr) return -1;
    CellLock lk(c);
    return c->has(kCanceled) ? 1 : -1;
}

int tCheckStatus(lua::Ctx& ctx, std::string_view re) noexcept {
    int status = routeReplyStatus();
    if (status == 0 && ctx.route != nullptr) {
        if (Cell* c = currentCell(*ctx.route))
            status = __atomic_load_n(&c->uasStatus, __ATOMIC_ACQUIRE);
    }
    if (status == 0) return -1;
    // One compiled pattern per process: scripts use one or two fixed ones.
    static regex_t compiled;
    static char last[64];
    static bool have = false;
    if (re.size() >= sizeof last) return -1;
    if (!have || re != last) {
        if (have) regfree(&compiled);
        have = false;
        re.copy(last, re.size());
        last[re.size()] = '\0';
        if (regcomp(&compiled, last, REG_EXTENDED | REG_NOSUB) != 0) {
            LM_ERR("tm: t_check_status: bad regular expression '%s'", last);
            return -1;
        }
        have = true;
    }
    char text[8];
    std::snprintf(text, sizeof text, "%d", status);
    return regexec(&compiled, text, 0, nullptr, 0) == 0 ? 1 : -1;
}

int tSetFr(lua::Ctx& ctx, int frInv, int fr) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || frInv < 0 || fr < 0) return -1;
    if (Cell* c = currentCell(*mc)) {
        CellLock lk(c);
        c->frInvTimeout = static_cast<uint32_t>(frInv);
        c->frTimeout = static_cast<uint32_t>(fr);
        return 1;
    }
    MsgState* st = msgState(*mc, true);
    if (st == nullptr) return -1;
    st->frInv = static_cast<uint32_t>(frInv);
    st->fr = static_cast<uint32_t>(fr);
    return 1;
}

const Stats& statsAccessor() {
    return counters();
}

bool inFailureRoute() {
    return failureCell() != nullptr;
}

const TmApi kApi = {
    .precheckTrans = &precheckTrans,
    .stats = &statsAccessor,
    .onFinalReply = &addFinalReplyHook,
    .inFailureRoute = &inFailureRoute,
};

void onStatsTimer(timer::TimerNode* n) {
    logStats();
    wheel().arm(*n, static_cast<uint64_t>(g_params.statsLogInterval), onStatsTimer);
}

bool shareLiveParams();

bool modInit() {
    if (!shareLiveParams()) return false;
    const int n = g_params.hashSize;
    if ((n & (n - 1)) != 0) {
        LM_ERR("tm: hash_size must be a power of two (got %d)", n);
        return false;
    }
    g_table = Table::create(static_cast<uint32_t>(n));
    BudgetLimits limits;
    limits.maxBytes = bytesLimit(mem::shmStats().total, g_params.maxShmPercent);
    limits.maxCount = g_params.maxTransactions;
    if (g_table == nullptr || !createBudget(limits) || !initStats() || !initRouteNames() ||
        !initPrecheck() || !timer::startTimers()) {
        LM_ERR("tm: out of shared memory at start-up");
        return false;
    }
    if (!registerPvs()) {
        LM_ERR("tm: cannot register the $T_* pseudo-variables");
        LM_ERR("tm: out of shared memory at start-up");
        return false;
    }
    if (g_params.statsLogInterval > 0) {
        void* p = mem::shmAllocZero(sizeof(timer::TimerNode));
        if (p == nullptr) return false;
        wheel().arm(*new (p) timer::TimerNode(), static_cast<uint64_t>(g_params.statsLogInterval),
                    onStatsTimer);
    }
    return true;
}

constexpr module::ParamSpec kParams[] = {
    module::intParam("retr_timer1", &g_params.t1, kDefaultParams.t1, 10, 60000, "T1 (ms)"),
    module::intParam("retr_timer2", &g_params.t2, kDefaultParams.t2, 10, 600000, "T2 (ms)"),
    module::intParam("fr_timer", &g_params.frTimer, kDefaultParams.frTimer, 10, 3600000,
                     "final reply timeout (ms)"),
    module::intParam("fr_inv_timer", &g_params.frInvTimer, kDefaultParams.frInvTimer, 10, 3600000,
                     "INVITE final reply timeout after a provisional (ms)"),
    module::intParam("wt_timer", &g_params.wtTimer, kDefaultParams.wtTimer, 10, 600000,
                     "how long a finished transaction is kept (ms)"),
    module::intParam("max_inv_lifetime", &g_params.maxInvLifetime, kDefaultParams.maxInvLifetime,
                     100, 86400000, "longest life of an INVITE transaction (ms)"),
    module::intParam("max_noninv_lifetime", &g_params.maxNoninvLifetime,
                     kDefaultParams.maxNoninvLifetime, 100, 86400000,
                     "longest life of a non-INVITE transaction (ms)"),
    module::intParam("stats_log_interval", &g_params.statsLogInterval,
                     kDefaultParams.statsLogInterval, 0, 86400000,
                     "log tm's counters every N ms (0: never)"),
    module::intParam("auto_inv_100", &g_params.autoInv100, kDefaultParams.autoInv100, 0, 1,
                     "send 100 Trying for INVITE at once"),
    module::intParam("hash_size", &g_params.hashSize, kDefaultParams.hashSize, 16, 1 << 24,
                     "transaction table buckets (a power of two)"),
    module::intParam("max_shm_percent", &g_params.maxShmPercent, kDefaultParams.maxShmPercent, 1,
                     100, "share of shm transactions may hold, in percent (100: no budget)"),
    module::intParam("max_transactions", &g_params.maxTransactions, kDefaultParams.maxTransactions,
                     0, 1 << 30, "most transactions alive at once (0: no limit)"),
    module::intParam("budget_retry_after", &g_params.budgetRetryAfter,
                     kDefaultParams.budgetRetryAfter, 0, 86400,
                     "Retry-After of the 503 past the budget, in s (0: no header)"),
};

// The timers every process reads at each use, so cfg.set changes them for new timers at once.
bool shareLiveParams() {
    Params* p = module::shareParams("tm", g_params, kParams,
                                    {"retr_timer1", "retr_timer2", "fr_timer", "fr_inv_timer",
                                     "wt_timer", "max_inv_lifetime", "max_noninv_lifetime"});
    if (p == nullptr) return false;
    g_live = p;
    return true;
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&tRelay>("t_relay"),          lua::fn<&tCheckTrans>("t_check_trans"),
    lua::fn<&tNewtran>("t_newtran"),      lua::fn<&tReply>("t_reply"),
    lua::fn<&tOnFailure>("t_on_failure"), lua::fn<&tOnBranch>("t_on_branch"),
    lua::fn<&tOnReply>("t_on_reply"),     lua::fn<&tIsCanceled>("t_is_canceled"),
    lua::fn<&tIsSet>("t_is_set"),         lua::fn<&tCheckStatus>("t_check_status"),
    lua::fn<&tSetFr>("t_set_fr"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "tm",
    .version = OSPREY_VERSION,
    .params = kParams,
    .functions = kFunctions,
    .rpc = osprey::tm::rpcMethods(),
    .api = &kApi,
    .msgExtension = &kMsgExtension,
    .init = &modInit,
};
