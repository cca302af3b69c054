// The Prometheus formatter on a realistic snapshot: kamailio_exporter's labelled families,
// xhttp_prom's flat names, HELP and TYPE once per family, no timestamps, and promtool's lint
// (a test failure on anything it reports).
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include "core/stats/prometheus.h"
#include "test/support/stats_reader.h"

namespace osprey::stats {
namespace {

Sample sample(const char* group, const char* name, Kind kind, int64_t v) {
    Sample s;
    s.group = group;
    s.name = name;
    s.help = std::string("help for ") + name;
    s.kind = kind;
    s.resettable = kind == Kind::Counter;
    s.value = v;
    return s;
}

Snapshot realistic() {
    Snapshot snap = {
        sample("core", "rcv_requests", Kind::Counter, 120),
        sample("core", "rcv_requests_invite", Kind::Counter, 20),
        sample("core", "rcv_requests_options", Kind::Counter, 100),
        sample("core", "rcv_replies", Kind::Counter, 60),
        sample("core", "rcv_replies_18x", Kind::Counter, 10),
        sample("core", "rcv_replies_2xx", Kind::Counter, 40),
        sample("core", "rcv_replies_404", Kind::Counter, 3),
        sample("core", "rcv_replies_2xx_invite", Kind::Counter, 18),
        sample("core", "fwd_requests", Kind::Counter, 5),
        sample("core", "drop_replies", Kind::Counter, 1),
        sample("core", "bad_URIs_rcvd", Kind::Counter, 2),
        sample("core", "bad_msg_hdr", Kind::Counter, 4),
        sample("core", "unsupported_methods", Kind::Counter, 1),
        sample("shmem", "used_size", Kind::Func, 860000),
        sample("shmem", "total_size", Kind::Func, 67108864),
        sample("shmem", "fragments", Kind::Func, 39),
        sample("sl", "200_replies", Kind::Counter, 100),
        sample("sl", "1xx_replies", Kind::Counter, 0),
        sample("sl", "sent_replies", Kind::Counter, 104),
        sample("sl", "received_ACKs", Kind::Counter, 0),
        sample("tmx", "UAS_transactions", Kind::Counter, 20),
        sample("tmx", "2xx_transactions", Kind::Counter, 18),
        sample("tmx", "inuse_transactions", Kind::Gauge, 2),
        sample("tmx", "rpl_received", Kind::Counter, 60),
        sample("tmx", "rpl_absorbed", Kind::Func, 2),
        sample("tcp", "established", Kind::Func, 7),
        sample("tcp", "connect_failed", Kind::Counter, 1),
        sample("tcp", "current_opened_connections", Kind::Gauge, 3),
        sample("usrloc", "registered_users", Kind::Func, 12),
        sample("usrloc", "location-users", Kind::Gauge, 12),
        sample("usrloc", "location-expires", Kind::Counter, 4),
        sample("registrar", "max_expires", Kind::Level, 3600),
        sample("osprey", "script_generation", Kind::Level, 1),
    };
    Sample pkg = sample("osprey", "pkg_used_size", Kind::PerProcess, 0);
    pkg.perProcess = {{0, 100, "master", 1024}, {3, 103, "sip#0", 2048}};
    pkg.value = 3072;
    snap.push_back(pkg);
    Sample quoted = sample("test", "odd", Kind::Gauge, -5);
    quoted.help = "a \\ backslash\nand a newline";
    snap.push_back(quoted);
    return snap;
}

bool hasLine(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l == line) return true;
    return false;
}

TEST(StatsPrometheus, LabelledFamiliesAsKamailioExporterNamesThem) {
    const std::string t = formatPrometheus(realistic());
    EXPECT_TRUE(hasLine(t, "kamailio_core_request_total{method=\"rcv\"} 120")) << t;
    EXPECT_TRUE(hasLine(t, "kamailio_core_request_total{method=\"fwd\"} 5"));
    EXPECT_TRUE(hasLine(t, "kamailio_core_rcv_request_total{method=\"invite\"} 20"));
    EXPECT_TRUE(hasLine(t, "kamailio_core_rcv_request_total{method=\"unsupported\"} 1"));
    EXPECT_TRUE(hasLine(t, "kamailio_core_reply_total{type=\"drop\"} 1"));
    EXPECT_TRUE(hasLine(t, "kamailio_core_rcv_reply_total{code=\"18x\"} 10"));
    EXPECT_TRUE(hasLine(t, "kamailio_core_rcv_reply_total{code=\"404\"} 3"));
    EXPECT_TRUE(hasLine(t, "kamailio_bad_uri_total 2"));
    EXPECT_TRUE(hasLine(t, "kamailio_bad_msg_hdr_total 4"));
    EXPECT_TRUE(hasLine(t, "kamailio_shm_bytes{type=\"used\"} 860000"));
    EXPECT_TRUE(hasLine(t, "kamailio_shm_fragments 39"));
    EXPECT_TRUE(hasLine(t, "kamailio_sl_reply_total{code=\"200\"} 100"));
    EXPECT_TRUE(hasLine(t, "kamailio_sl_type_total{type=\"sent_reply\"} 104"));
    EXPECT_TRUE(hasLine(t, "kamailio_tmx_type_total{type=\"uas\"} 20"));
    EXPECT_TRUE(hasLine(t, "kamailio_tmx_code_total{code=\"2xx\"} 18"));
    EXPECT_TRUE(hasLine(t, "kamailio_tmx{type=\"inuse\"} 2"));
    EXPECT_TRUE(hasLine(t, "kamailio_tmx_rpl_total{type=\"absorbed\"} 2"));
    EXPECT_TRUE(hasLine(t, "kamailio_tcp_total{type=\"connect_failed\"} 1"));
    EXPECT_TRUE(hasLine(t, "kamailio_tcp_connections 3"));
    EXPECT_TRUE(hasLine(t, "kamailio_pkgmem_used{entry=\"3\",pid=\"103\",desc=\"sip#0\"} 2048"));
    EXPECT_TRUE(hasLine(t, "# TYPE kamailio_core_rcv_request_total counter"));
    EXPECT_TRUE(hasLine(t, "# TYPE kamailio_shm_bytes gauge"));
    // rcv_replies_<class>xx_<method> has no labelled family; it stays flat.
    EXPECT_EQ(t.find("code=\"2xx_invite\""), std::string::npos);
}

TEST(StatsPrometheus, EveryStatisticFlatAsXhttpPromNamesIt) {
    const std::string t = formatPrometheus(realistic());
    EXPECT_TRUE(hasLine(t, "kamailio_core_rcv_requests 120"));
    EXPECT_TRUE(hasLine(t, "kamailio_core_rcv_replies_2xx_invite 18"));
    EXPECT_TRUE(hasLine(t, "kamailio_core_bad_URIs_rcvd 2"));
    EXPECT_TRUE(hasLine(t, "kamailio_usrloc_location_users 12"));  // '-' is not allowed
    EXPECT_TRUE(hasLine(t, "kamailio_usrloc_registered_users 12"));
    EXPECT_TRUE(hasLine(t, "kamailio_registrar_max_expires 3600"));
    EXPECT_TRUE(hasLine(t, "kamailio_osprey_pkg_used_size 3072"));
    EXPECT_TRUE(hasLine(t, "kamailio_test_odd -5"));
    EXPECT_TRUE(hasLine(t, "# TYPE kamailio_core_rcv_requests gauge"));
    EXPECT_TRUE(hasLine(t, "# HELP kamailio_test_odd a \\\\ backslash\\nand a newline"));
}

TEST(StatsPrometheus, OneHelpAndTypePerFamilyCountersEndInTotalNoTimestamps) {
    const std::string t = formatPrometheus(realistic());
    std::istringstream in(t);
    std::set<std::string> helped, typed;
    std::string family;  // of the last TYPE line
    for (std::string l; std::getline(in, l);) {
        if (l.rfind("# HELP ", 0) == 0) {
            const std::string name = l.substr(7, l.find(' ', 7) - 7);
            EXPECT_TRUE(helped.insert(name).second) << "HELP twice: " << name;
            continue;
        }
        if (l.rfind("# TYPE ", 0) == 0) {
            const size_t sp = l.find(' ', 7);
            family = l.substr(7, sp - 7);
            EXPECT_TRUE(typed.insert(family).second) << "TYPE twice: " << family;
            EXPECT_EQ(helped.count(family), 1u) << "no HELP before TYPE: " << family;
            if (l.substr(sp + 1) == "counter") {
                EXPECT_EQ(family.substr(family.size() - 6), "_total") << family;
            }
            continue;
        }
        // A sample: its family's, and exactly "name[{labels}] value".
        EXPECT_EQ(l.rfind(family, 0), 0u) << "sample outside its family: " << l;
        const std::string rest = l.substr(l.rfind('}') == std::string::npos ? 0 : l.rfind('}'));
        EXPECT_EQ(std::count(rest.begin(), rest.end(), ' '), 1) << "timestamp? " << l;
    }
    EXPECT_EQ(helped, typed);
}

TEST(StatsPrometheus, PromtoolFindsNothingToLint) {
    const testsupport::LintResult r =
        testsupport::promtoolCheckMetrics(formatPrometheus(realistic()));
    EXPECT_EQ(r.exitCode, 0) << r.output;
    EXPECT_EQ(r.output, "") << r.output;
}

TEST(StatsPrometheus, PromtoolCheckFailsOnALintError) {
    // The lint this suite relies on does report problems: a counter without _total.
    const testsupport::LintResult r = testsupport::promtoolCheckMetrics(
        "# HELP bad_counter x\n# TYPE bad_counter counter\nbad_counter 1\n");
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE(r.output.find("_total"), std::string::npos) << r.output;
}

TEST(StatsPrometheus, EmptySnapshotIsEmptyText) {
    EXPECT_EQ(formatPrometheus({}), "");
}

}  // namespace
}  // namespace osprey::stats
