// The script's tm routes: names given to t_on_failure/t_on_branch/t_on_reply are kept as small
// ids in a shm registry, so a transaction records them in one byte each and any process (the
// one that gets the reply, the timer process) finds the same Lua function. A failure route
// runs with the request, as received, in scope (parsed from the transaction's copy); an
// onreply route with the reply.
#include <cstring>
#include <memory>
#include <new>

#include "core/log/log.h"
#include "core/lua/process_engine.h"
#include "core/route/log_prefix.h"
#include "core/route/msg_context.h"
#include "core/sip/msg.h"
#include "mem/lock/lock_guard.h"
#include "mem/shm.h"
#include "modules/tm/tm_core.h"

namespace osprey::tm {

namespace {

constexpr unsigned kMaxRoutes = 63;
constexpr size_t kMaxRouteName = 47;

struct RouteNames {
    mem::FutexMutex lock;
    uint32_t count = 0;
    char names[kMaxRoutes + 1][kMaxRouteName + 1];
};

RouteNames* g_names = nullptr;
int g_replyStatus = 0;
int g_branchIdx = -1;
Cell* g_failureCell = nullptr;
std::unique_ptr<route::MsgContext> g_failureCtx;

const char* nameOf(uint8_t id) {
    return g_names != nullptr && id != 0 && id <= g_names->count ? g_names->names[id] : nullptr;
}

}  // namespace

bool initRouteNames() {
    void* p = mem::shmAllocZero(sizeof(RouteNames));
    if (p == nullptr) return false;
    g_names = new (p) RouteNames();
    return true;
}

uint8_t routeId(std::string_view name) {
    if (g_names == nullptr || name.empty() || name.size() > kMaxRouteName) return 0;
    mem::LockGuard g(g_names->lock);
    for (uint32_t i = 1; i <= g_names->count; ++i) {
        if (name == g_names->names[i]) return static_cast<uint8_t>(i);
    }
    if (g_names->count == kMaxRoutes) return 0;
    const uint32_t id = ++g_names->count;
    name.copy(g_names->names[id], name.size());
    g_names->names[id][name.size()] = '\0';
    return static_cast<uint8_t>(id);
}

int routeReplyStatus() {
    return g_replyStatus;
}

Cell* failureCell() {
    return g_failureCell;
}

int routeBranchIdx() {
    return g_branchIdx;
}

bool runFailureRoute(Cell* c, uint8_t id, int status, uint32_t bflags) {
    const char* name = nameOf(id);
    lua::Engine* engine = lua::processEngine();
    if (name == nullptr || engine == nullptr || g_failureCell != nullptr) return false;
    if (!g_failureCtx) g_failureCtx.reset(new (std::nothrow) route::MsgContext());
    if (!g_failureCtx) return false;
    route::MsgContext& mc = *g_failureCtx;
    mc.start(c->recv);
    if (!sip::parseMsg(mc.msg, c->request())) {
        mc.reset();
        return false;
    }
    MsgState* st = msgState(mc, true);
    if (st == nullptr) {
        mc.reset();
        return false;
    }
    ref(c);
    st->cell = c;
    attachTxData(c, mc);  // e.g. dispatcher's failover position, read and advanced in place
    g_failureCell = c;
    g_replyStatus = status;
    mc.lua.flags = c->msgFlags;  // the failure route sees and changes the transaction's flags
    const route::MessageLogPrefix prefix(mc);  // log_prefix, unless a reply's is already set
    mc.lua.routeType = lua::RouteType::Failure;
    mc.lua.bflags = bflags;
    const lua::RouteStatus rs = engine->run(name, mc.lua);
    c->msgFlags = mc.lua.flags;
    if (rs == lua::RouteStatus::NoRoute) LM_ERR("tm: failure route %s() is not defined", name);
    g_replyStatus = 0;
    g_failureCell = nullptr;
    mc.reset();  // drops the reference
    return rs != lua::RouteStatus::Error;
}

bool runBranchRoute(uint8_t id, route::MsgContext& mc, int branchIdx) {
    const char* name = nameOf(id);
    lua::Engine* engine = lua::processEngine();
    if (name == nullptr || engine == nullptr) return true;
    const bool droppedBefore = mc.lua.dropped;
    const lua::RouteType typeBefore = mc.lua.routeType;
    mc.lua.routeType = lua::RouteType::Branch;
    const int idxBefore = g_branchIdx;
    g_branchIdx = branchIdx;
    const lua::RouteStatus rs = engine->runNested(name, mc.lua);
    g_branchIdx = idxBefore;
    mc.lua.routeType = typeBefore;
    const bool dropped = mc.lua.dropped && !droppedBefore;
    mc.lua.dropped = droppedBefore;  // drop() in a branch route drops that branch only
    return !dropped && rs != lua::RouteStatus::Drop;
}

bool runOnReply(Cell* c, uint8_t id, route::MsgContext& reply, int branchIdx) {
    const char* name = nameOf(id);
    lua::Engine* engine = lua::processEngine();
    if (name == nullptr || engine == nullptr) return true;
    MsgState* st = msgState(reply, true);
    if (st != nullptr && st->cell == nullptr) {
        ref(c);
        st->cell = c;
    }
    g_replyStatus = reply.msg.start.status;
    const lua::RouteType typeBefore = reply.lua.routeType;
    reply.lua.routeType = lua::RouteType::OnReply;
    if (branchIdx >= 0 && branchIdx < c->nBranches)
        reply.lua.bflags = c->branches[branchIdx]->bflags;
    g_branchIdx = branchIdx;
    const lua::RouteStatus rs = engine->run(name, reply.lua);
    g_branchIdx = -1;
    reply.lua.routeType = typeBefore;
    g_replyStatus = 0;
    return rs != lua::RouteStatus::Drop && !reply.lua.dropped;
}

}  // namespace osprey::tm
