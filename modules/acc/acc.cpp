// acc: transaction accounting (Kamailio's acc module) to the log and to SQLite.
//
// A transaction is accounted when it ends with its first final reply upstream (tm's
// onFinalReply hook, modules/tm/api.h), by the message flags set on its request (KSR.setflag
// before t_relay, or in a failure route):
//   log_flag / db_flag                 a 2xx: "ACC: transaction answered: ..." / a row in acc;
//                                      with failed_transaction_flag also a final >= 300
//   log_missed_flag / db_missed_flag   an INVITE ending >= 300: "ACC: call missed: ..." / a row
//                                      in missed_calls
// Records hold Kamailio's attributes (method, from_tag, to_tag, call_id/callid, code/sip_code,
// reason/sip_reason, time) and the log_extra / db_extra pseudo-variables read from the request.
// KSR.acc.acc_log_request(comment) and acc_db_request(comment, table) account the current
// request at once.
//
// A SIP process never writes the database: database records go onto a shm ring
// (core/db/record_ring.h) that the acc writer process drains into SQLite, one transaction per
// batch. A full ring or a failing database drops records (counted and logged by the writer),
// never SIP service.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "core/db/record_ring.h"
#include "core/db/sql_name.h"
#include "core/db/sqlite_conn.h"
#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/module/module_set.h"
#include "core/proc/child.h"
#include "core/proc/process_kind.h"
#include "core/route/msg_context.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/stats/registry.h"
#include "core/timer/clock.h"
#include "modules/acc/acc_db.h"
#include "modules/acc/acc_extra.h"
#include "modules/acc/acc_record.h"
#include "modules/tm/api.h"

namespace {

using namespace osprey;
using namespace osprey::acc;

// --- parameters (Kamailio's names; flags -1 = unset) ---
int g_logFlag;
int g_logMissedFlag;
int g_failedFlag;
int g_dbFlag;
int g_dbMissedFlag;
std::string g_logExtraDef;
std::string g_dbExtraDef;
std::string g_dbUrl;
std::string g_tableAcc;
std::string g_tableMissed;
int g_logLevel;
int g_queueKib;
bool g_earlyMedia;
bool g_reportAck;
bool g_reportCancels;
bool g_detectDirection;
std::string g_logFacility;

// --- made in init, inherited ---
std::vector<Extra> g_logExtra;
std::vector<Extra> g_dbExtra;
db::RecordRing* g_ring = nullptr;
int g_eventFd = -1;

// --- statistics (acc:*) ---
struct Stats {
    stats::Counter logRecords, dbQueued, dbWritten, dbFailed;
} g_st;

int64_t queueFullDrops(uintptr_t) {
    return g_ring != nullptr ? static_cast<int64_t>(g_ring->dropped()) : 0;
}

const stats::Def kStats[] = {
    stats::counterDef("log_records", &g_st.logRecords, "Records written to the log"),
    stats::counterDef("db_queued", &g_st.dbQueued, "Records queued for the database"),
    stats::counterDef("db_written", &g_st.dbWritten, "Records the writer committed"),
    stats::counterDef("db_failed", &g_st.dbFailed,
                      "Records lost because the database could not take them"),
    stats::funcDef("db_queue_full", &queueFullDrops,
                   "Records lost because the queue to the writer was full"),
};

bool flagSet(uint64_t flags, int f) {
    return f >= 0 && f < 64 && (flags & (uint64_t{1} << f)) != 0;
}

bool dbWanted() {
    return g_dbFlag >= 0 || g_dbMissedFlag >= 0;
}

log::Level logLevel() {
    // Kamailio's numbers: -1 err, 0 warn, 1 notice, 2 info, 3 debug.
    switch (g_logLevel) {
        case -1:
            return log::Level::Err;
        case 0:
            return log::Level::Warn;
        case 2:
            return log::Level::Info;
        case 3:
            return log::Level::Debug;
        default:
            return log::Level::Notice;
    }
}

// What one accounting event says, the core attributes as views into the messages.
struct Event {
    std::string_view method, fromTag, toTag, callId, code, reason;
    int64_t time = 0;
};

// The per-process message context the request copy is parsed into (extras read it).
route::MsgContext* eventCtx() {
    static std::unique_ptr<route::MsgContext> ctx;
    if (!ctx) ctx.reset(new (std::nothrow) route::MsgContext());
    return ctx.get();
}

std::string_view fromTag(sip::SipMsg& m) {
    const sip::FromToBody* f = sip::getFrom(m);
    return f != nullptr ? f->tag : std::string_view();
}
std::string_view toTag(sip::SipMsg& m) {
    const sip::FromToBody* t = sip::getTo(m);
    return t != nullptr ? t->tag : std::string_view();
}
std::string_view callIdOf(sip::SipMsg& m) {
    const sip::HeaderField* h = sip::findHeader(m, sip::HeaderKind::CallId);
    return h != nullptr ? h->value : std::string_view();
}

void logEvent(const char* what, const Event& e, route::MsgContext& mc) {
    char line[4096];
    int n = std::snprintf(line, sizeof line,
                          "timestamp=%lld;method=%.*s;from_tag=%.*s;to_tag=%.*s;call_id=%.*s;"
                          "code=%.*s;reason=%.*s",
                          static_cast<long long>(e.time), static_cast<int>(e.method.size()),
                          e.method.data(), static_cast<int>(e.fromTag.size()), e.fromTag.data(),
                          static_cast<int>(e.toTag.size()), e.toTag.data(),
                          static_cast<int>(e.callId.size()), e.callId.data(),
                          static_cast<int>(e.code.size()), e.code.data(),
                          static_cast<int>(e.reason.size()), e.reason.data());
    for (const Extra& x : g_logExtra) {
        if (n < 0 || static_cast<size_t>(n) >= sizeof line) break;
        char buf[24];
        const std::string_view v = extraValue(mc, x, buf);
        n += std::snprintf(line + n, sizeof line - static_cast<size_t>(n), ";%s=%.*s",
                           x.name.c_str(), static_cast<int>(v.size()), v.data());
    }
    LM_LOG(logLevel(), "ACC: %s: %s", what, line);
    stats::inc(g_st.logRecords);
}

void queueEvent(std::string_view table, const Event& e, route::MsgContext& mc) {
    if (g_ring == nullptr) return;
    Record r;
    char when[24];
    const int wn = std::snprintf(when, sizeof when, "%lld", static_cast<long long>(e.time));
    r.fields[0] = table;
    r.fields[1] = {when, static_cast<size_t>(wn)};
    r.fields[2] = e.method;
    r.fields[3] = e.fromTag;
    r.fields[4] = e.toTag;
    r.fields[5] = e.callId;
    r.fields[6] = e.code;
    r.fields[7] = e.reason;
    r.count = kCoreFields;
    char bufs[kMaxExtras][24];
    for (size_t i = 0; i < g_dbExtra.size(); ++i)
        r.fields[r.count++] = extraValue(mc, g_dbExtra[i], bufs[i]);
    char rec[db::RecordRing::kMaxRecord];
    const size_t len = encodeRecord(r, rec, sizeof rec);
    if (len != 0 && g_ring->push(rec, static_cast<uint32_t>(len))) {
        stats::inc(g_st.dbQueued);
        return;
    }
    LM_DBG("acc: record for %.*s not queued", static_cast<int>(e.callId.size()), e.callId.data());
}

// tm's hook: a transaction's first final reply went upstream.
void onFinalReply(const tm::FinalReply& fr) {
    const uint64_t f = fr.flags;
    const bool isInvite = fr.request.substr(0, 7) == "INVITE ";
    const bool missed = isInvite && fr.status >= 300;
    const bool accounted = fr.status < 300 || flagSet(f, g_failedFlag);
    const bool logAcc = accounted && flagSet(f, g_logFlag);
    const bool dbAcc = accounted && flagSet(f, g_dbFlag);
    const bool logMissed = missed && flagSet(f, g_logMissedFlag);
    const bool dbMissed = missed && flagSet(f, g_dbMissedFlag);
    if (!logAcc && !dbAcc && !logMissed && !dbMissed) return;

    route::MsgContext* mc = eventCtx();
    if (mc == nullptr) return;
    mc->start(*fr.recv);
    static sip::SipMsg reply;  // per process; reset after each use
    if (!sip::parseMsg(mc->msg, fr.request) || !sip::parseMsg(reply, fr.reply)) {
        LM_ERR("acc: cannot parse the transaction's request or reply: not accounted");
        reply.reset();
        mc->reset();
        return;
    }
    Event e;
    e.method = mc->msg.start.methodText;
    e.fromTag = fromTag(mc->msg);
    e.toTag = toTag(reply);
    e.callId = callIdOf(mc->msg);
    char code[8];
    const int cn = std::snprintf(code, sizeof code, "%d", fr.status);
    e.code = {code, static_cast<size_t>(cn)};
    e.reason = reply.start.reason;
    e.time = timer::wallMs() / 1000;
    if (logMissed) logEvent("call missed", e, *mc);
    if (dbMissed) queueEvent(g_tableMissed, e, *mc);
    if (logAcc) logEvent("transaction answered", e, *mc);
    if (dbAcc) queueEvent(g_tableAcc, e, *mc);
    reply.reset();
    mc->reset();
}

// KSR.acc.acc_*_request: comment "code reason" (or just a reason).
Event requestEvent(route::MsgContext& mc, std::string_view comment) {
    Event e;
    e.method = mc.msg.start.methodText;
    e.fromTag = fromTag(mc.msg);
    e.toTag = toTag(mc.msg);
    e.callId = callIdOf(mc.msg);
    if (comment.size() >= 3 && comment[0] >= '1' && comment[0] <= '6' && comment[1] >= '0' &&
        comment[1] <= '9' && comment[2] >= '0' && comment[2] <= '9' &&
        (comment.size() == 3 || comment[3] == ' ')) {
        e.code = comment.substr(0, 3);
        e.reason = comment.size() > 4 ? comment.substr(4) : std::string_view();
    } else {
        e.reason = comment;
    }
    e.time = timer::wallMs() / 1000;
    return e;
}

int accLogRequest(lua::Ctx& ctx, std::string_view comment) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest()) return -1;
    logEvent("request accounted", requestEvent(*mc, comment), *mc);
    return 1;
}

int accDbRequest(lua::Ctx& ctx, std::string_view comment, std::string_view table) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest() || g_ring == nullptr) return -1;
    // Checked here: a name the writer cannot use would fail the whole batch it rides in.
    if (!db::isSqlName(table)) {
        LM_ERR("acc: acc_db_request: '%.*s' is not a table name",
               static_cast<int>(table.size() > 64 ? 64 : table.size()), table.data());
        return -1;
    }
    queueEvent(table, requestEvent(*mc, comment), *mc);
    return 1;
}

// --- the writer process ---

std::vector<std::string> dbExtraNames() {
    std::vector<std::string> names;
    for (const Extra& e : g_dbExtra) names.push_back(e.name);
    return names;
}

int accWriterMain(const proc::ChildContext&) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return 1;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = proc::signalFd();
    epoll_ctl(ep, EPOLL_CTL_ADD, proc::signalFd(), &ev);
    ev.data.fd = g_eventFd;
    epoll_ctl(ep, EPOLL_CTL_ADD, g_eventFd, &ev);

    AccDb adb;
    adb.configure(g_dbUrl, dbExtraNames());
    std::vector<char> buf;
    uint64_t lost = 0;
    uint64_t reportedLost = 0;
    uint64_t reportedRingDrops = 0;
    bool failing = false;
    auto flush = [&] {
        buf.clear();
        const size_t n = g_ring->drain(buf);
        if (n == 0) return;
        std::string error;
        size_t written = 0;
        if (adb.write(buf, &written, &error)) {
            stats::add(g_st.dbWritten, written);
            if (failing) LM_NOTICE("acc: database %s is usable again", g_dbUrl.c_str());
            failing = false;
            return;
        }
        lost += n;
        stats::add(g_st.dbFailed, n);
        if (!failing)
            LM_ERR("acc: writing %zu records to %s failed: %s; retrying with the next batch", n,
                   g_dbUrl.c_str(), error.c_str());
        failing = true;
    };
    constexpr int kReportMs = 5000;
    int64_t nextReport = timer::nowMs() + kReportMs;
    while (!proc::stopRequested()) {
        flush();
        if (timer::nowMs() >= nextReport) {
            if (lost != reportedLost || g_ring->dropped() != reportedRingDrops) {
                LM_WARN(
                    "acc: %llu records not written (database unusable), %llu lost to a full "
                    "queue",
                    static_cast<unsigned long long>(lost),
                    static_cast<unsigned long long>(g_ring->dropped()));
                reportedLost = lost;
                reportedRingDrops = g_ring->dropped();
            }
            nextReport = timer::nowMs() + kReportMs;
        }
        // Flag first, then the last look: a push after the look sees the flag and wakes us.
        g_ring->setWriterSleeping(true);
        const int timeout = g_ring->empty() ? kReportMs : 0;
        epoll_event evs[4];
        const int n = epoll_wait(ep, evs, 4, timeout);
        g_ring->setWriterSleeping(false);
        for (int i = 0; i < n; ++i) {
            if (evs[i].data.fd == proc::signalFd()) {
                proc::handleSignals();
            } else {
                uint64_t v;
                ssize_t r = read(g_eventFd, &v, sizeof v);
                (void)r;
            }
        }
    }
    flush();  // what was queued before the stop
    close(ep);
    return 0;
}

// --- life cycle ---

bool modInit() {
    std::string error;
    if (!parseExtras(g_logExtraDef, g_logExtra, &error)) {
        LM_ERR("acc: log_extra: %s", error.c_str());
        return false;
    }
    if (!parseExtras(g_dbExtraDef, g_dbExtra, &error)) {
        LM_ERR("acc: db_extra: %s", error.c_str());
        return false;
    }
    if (g_logExtra.size() > kMaxExtras || g_dbExtra.size() > kMaxExtras) {
        LM_ERR("acc: at most %u extra attributes", kMaxExtras);
        return false;
    }
    if (!stats::declareGroup("acc", kStats)) return false;
    const tm::TmApi* tmApi = module::loadedModules().api<tm::TmApi>("tm");
    if (tmApi == nullptr || !tmApi->onFinalReply(&onFinalReply)) {
        LM_ERR("acc: cannot register with tm for final replies");
        return false;
    }
    if (g_earlyMedia || g_reportAck || g_reportCancels || g_detectDirection)
        LM_WARN(
            "acc: early_media, report_ack, report_cancels and detect_direction are not "
            "supported; ignored");
    if (!dbWanted()) return true;
    // The schema is made here; a database that cannot be opened now only loses records until
    // the writer can open it (SIP service does not depend on it).
    {
        db::SqliteConn conn;
        if (!conn.open(g_dbUrl, db::OpenOptions{}, &error)) {
            LM_ERR("acc: cannot open %s: %s; records are dropped until it can be opened",
                   g_dbUrl.c_str(), error.c_str());
        } else {
            for (const std::string& t : {g_tableAcc, g_tableMissed}) {
                if (!ensureAccTable(conn, t, dbExtraNames(), &error)) {
                    LM_ERR("acc: table %s in %s: %s", t.c_str(), g_dbUrl.c_str(), error.c_str());
                    return false;
                }
            }
        }
    }
    g_eventFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (g_eventFd < 0) {
        LM_ERR("acc: eventfd: %s", strerror(errno));
        return false;
    }
    g_ring = db::RecordRing::create(size_t(g_queueKib) << 10, g_eventFd, true);
    if (g_ring == nullptr) {
        LM_ERR("acc: no shared memory for a %d KiB record queue", g_queueKib);
        return false;
    }
    proc::declareProcesses(proc::ProcessKind{proc::Rank::Custom, 1, accWriterMain,
                                             proc::OnExit::Restart, "acc", false});
    return true;
}

void modDestroy() {
    db::RecordRing::destroy(g_ring);
    g_ring = nullptr;
    if (g_eventFd >= 0) close(g_eventFd);
    g_eventFd = -1;
}

constexpr const char* kDeps[] = {"tm"};

constexpr module::ParamSpec kParams[] = {
    module::intParam("log_flag", &g_logFlag, -1, -1, 63, "flag: log answered transactions"),
    module::intParam("log_missed_flag", &g_logMissedFlag, -1, -1, 63,
                     "flag: log INVITEs that end >= 300"),
    module::intParam("failed_transaction_flag", &g_failedFlag, -1, -1, 63,
                     "flag: account transactions that end >= 300 too"),
    module::intParam("db_flag", &g_dbFlag, -1, -1, 63, "flag: answered transactions into acc"),
    module::intParam("db_missed_flag", &g_dbMissedFlag, -1, -1, 63,
                     "flag: INVITEs that end >= 300 into missed_calls"),
    module::stringParam("log_extra", &g_logExtraDef, "", "name=$pv;... added to log records"),
    module::stringParam("db_extra", &g_dbExtraDef, "", "name=$pv;... added as columns"),
    module::stringParam("db_url", &g_dbUrl, "sqlite://osprey.sqlite", "sqlite:///path.db"),
    module::stringParam("db_table_acc", &g_tableAcc, "acc", "table of accounted transactions"),
    module::stringParam("db_table_missed_calls", &g_tableMissed, "missed_calls",
                        "table of missed calls"),
    module::intParam("log_level", &g_logLevel, 1, -1, 3,
                     "-1 err, 0 warn, 1 notice, 2 info, 3 debug"),
    module::stringParam("log_facility", &g_logFacility, "LOG_DAEMON", "accepted; the core's"),
    module::intParam("db_queue_kib", &g_queueKib, 1024, 16, 1 << 20,
                     "KiB of shm queued for the writer before records are dropped"),
    module::boolParam("early_media", &g_earlyMedia, false, "not supported (accepted off)"),
    module::boolParam("report_ack", &g_reportAck, false, "not supported (accepted off)"),
    module::boolParam("report_cancels", &g_reportCancels, false, "not supported (accepted off)"),
    module::boolParam("detect_direction", &g_detectDirection, false,
                      "not supported (accepted off)"),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&accLogRequest>("acc_log_request"),
    lua::fn<&accDbRequest>("acc_db_request"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "acc",
    .version = OSPREY_VERSION,
    .deps = kDeps,
    .params = kParams,
    .functions = kFunctions,
    .init = &modInit,
    .destroy = &modDestroy,
};
