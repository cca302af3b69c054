// Reads a running osprey's statistics for integration tests the way an operator does: the
// JSON-RPC `stats.get_statistics all` on the control socket (a SipRouter started with
// SipRouterOptions::controlSocket), and `GET /metrics` on rpc_http_listen
// (SipRouterOptions::rpcHttp). And promtool's lint of a Prometheus text, so a test fails on
// what Prometheus would reject.
//
//   SipRouterOptions o; o.controlSocket = true;
//   SipRouter router(..., o); router.start();
//   StatsReader stats;
//   auto v = stats.waitFor(router.process(), [](const StatsReader::Values& v) {
//       return StatsReader::get(v, "core:rcv_requests") >= 3; });
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/rpc/value.h"
#include "test/support/osprey_process.h"

namespace osprey::testsupport {

class StatsReader {
public:
    using Values = std::map<std::string, int64_t>;  // "group:name" -> value

    // One `stats.get_statistics all` on the control socket next to the config (osprey_ctl in
    // the process's directory), bounded. Empty when nothing answered.
    Values read(OspreyProcess& osprey);
    // Reads until done(values) holds or the time is up; returns the last values read.
    Values waitFor(OspreyProcess& osprey, const std::function<bool(const Values&)>& done,
                   int timeoutMs = 5000);

    // The value, or -1 when the statistic is absent.
    static int64_t get(const Values& v, const std::string& name);
};

// One JSON-RPC call on the control socket next to the config (osprey_ctl), bounded:
// `paramsJson` is the params array's text ("[]", "[\"ip\", 1, \"sip:...\"]"). The whole
// answer document ({"result": ...} or {"error": {...}}); null when nothing answered.
rpc::Value ctlCall(OspreyProcess& osprey, const std::string& method,
                   const std::string& paramsJson = "[]");

// The body of `GET /metrics` from rpc_http_listen on 127.0.0.1:port; empty unless the answer
// was 200 (bounded).
std::string fetchMetrics(uint16_t port);

struct LintResult {
    int exitCode = -1;   // promtool's; 0 = no problem
    std::string output;  // what it reported
};
// `promtool check metrics` on the text (Debian's prometheus package, /usr/bin/promtool).
LintResult promtoolCheckMetrics(const std::string& text);

}  // namespace osprey::testsupport
