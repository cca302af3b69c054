// Connection identity under churn with the real osprey (core/net/tcp_conn_table.h): a reply
// whose Via names a connection that has gone (";i=" of a closed connection) must never reach
// the connection that took the slot afterwards, however many connections came and went from
// the same address.
//
// Setup: 5,000 callers connect over TCP from 127.0.0.1 one after the other, one request each;
// osprey (one TCP worker, tcp_max_connections at its minimum of 16) forwards each over its
// single connection to the UAS (the test), which answers. Each caller hangs up and the test
// waits until its slot is free again before the next one connects, the churn that used to
// bring one slot's id back after 4,095 connections. Every id osprey hands out must be new.
// Before each caller's own reply the UAS sends replies for requests whose callers have hung
// up (the first caller's, the previous caller's, and any earlier holder of the same id): all
// in one write, on the one connection a single TCP worker reads in order, so a stale reply
// routed to the current caller would reach it before its own reply. The stale requests carry
// a Via sent-by of a sink listener the test owns and no rport, so a stale reply that
// (correctly) misses its connection goes to the sent-by address, the sink, where the test
// counts it.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/timer/clock.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"

namespace osprey::testsupport {
namespace {

constexpr int kChurns = 5000;

// Every stale reply that reached the sink, by Call-ID; the sink's connections are accepted
// and drained without blocking.
struct Sink {
    SipTcpListener listener;
    std::vector<std::unique_ptr<SipTcpConn>> conns;
    std::multiset<std::string> callIds;

    void drain(int timeoutMs) {
        while (auto c = listener.accept(0)) conns.push_back(std::move(c));
        for (auto& c : conns) {
            while (auto m = c->receiveMsg(timeoutMs)) callIds.insert(m->header("Call-ID"));
        }
    }
};

TEST(TcpConnIdentity, StaleConnectionIdsNeverReachAnotherConnection) {
    SipTcpListener uas;
    ASSERT_TRUE(uas.ok());
    Sink sink;
    ASSERT_TRUE(sink.listener.ok());
    SipRouterOptions o;
    o.tcp = true;
    o.extra = "tcp_children = 1;\ntcp_max_connections = 16;\n";
    SipRouter router(R"(
function ksr_request_route()
    KSR.setdsturi("sip:127.0.0.1:)" +
                         std::to_string(uas.port()) +
                         R"(;transport=tcp")
    if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
end
)",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    const std::string sinkVia = "SIP/2.0/TCP 127.0.0.1:" + std::to_string(sink.listener.port());

    SipTcpConn ctl(router.tcpPort());  // keep-alives only, to know when a slot is free
    ASSERT_TRUE(ctl.ok());
    std::unique_ptr<SipTcpConn> in;
    // One caller's request, as the UAS received it. useSink: its Via sends a reply that misses
    // the connection to the sink; otherwise the default Via with rport (the reply's lookup then
    // checks the connection's port too).
    auto call = [&](SipTcpConn& caller, bool useSink) -> std::unique_ptr<ReceivedMsg> {
        SipRequest r;
        r.ruri = "sip:bob@example.com";
        if (useSink) r.via = sinkVia + ";branch=" + uniqueToken("z9hG4bK");
        if (!caller.send(buildTcpRequest(caller, r))) return nullptr;
        if (!in) in = uas.accept(3000);
        if (!in) return nullptr;
        return in->receiveCall(r.callId, 3000);
    };

    std::unique_ptr<ReceivedMsg> first;
    {
        SipTcpConn a(router.tcpPort());
        ASSERT_TRUE(a.ok());
        first = call(a, true);
        ASSERT_TRUE(first) << router.log();
        EXPECT_TRUE(first->viaParam(1, "i").has_value()) << first->text();
    }  // the first caller hangs up; its id is stale from now on

    std::multiset<std::string> staleSent;
    std::unique_ptr<ReceivedMsg> prev;  // the previous caller's request when it used the sink
    std::set<std::string> ids;          // every connection id osprey handed out
    std::map<std::string, std::unique_ptr<ReceivedMsg>> earlier;  // sink requests by id
    ids.insert(*first->viaParam(1, "i"));
    const int64_t start = timer::nowMs();
    for (int i = 0; i < kChurns; ++i) {
        SipTcpConn caller(router.tcpPort());
        ASSERT_TRUE(caller.ok()) << "churn " << i;
        const bool useSink = i % 2 == 0;
        auto req = call(caller, useSink);
        ASSERT_TRUE(req) << "churn " << i << "\n" << router.log();
        const std::optional<std::string> id = req->viaParam(1, "i");
        ASSERT_TRUE(id.has_value()) << req->text();
        EXPECT_TRUE(ids.insert(*id).second) << "connection id " << *id << " handed out twice";

        std::string replies = buildResponse(*first, 200, "OK");
        staleSent.insert(first->header("Call-ID"));
        if (prev) {
            replies += buildResponse(*prev, 200, "OK");
            staleSent.insert(prev->header("Call-ID"));
        }
        // Should an id come back (the failure above), the reply for its earlier holder too:
        // the case of one customer's reply delivered to another.
        auto same = earlier.find(*id);
        if (same != earlier.end()) {
            replies += buildResponse(*same->second, 200, "OK");
            staleSent.insert(same->second->header("Call-ID"));
        }
        replies += buildResponse(*req, 200, "OK");
        ASSERT_TRUE(in->send(replies));
        auto got = caller.receiveMsg(3000);
        ASSERT_TRUE(got) << "churn " << i << ": no reply\n" << router.log();
        ASSERT_EQ(got->header("Call-ID"), req->header("Call-ID"))
            << "churn " << i << ": another connection's reply reached this one";
        EXPECT_EQ(got->status(), 200);
        // Hang up and wait until osprey has closed its side too, so the next caller comes
        // after this slot went back to the free list: churn as a busy NAT makes it.
        ::shutdown(caller.fd(), SHUT_WR);
        ASSERT_TRUE(caller.waitClosed(3000)) << "churn " << i << "\n" << router.log();
        // The one TCP worker closes a socket and frees its slot in one step, so its answer to
        // a later keep-alive on another connection means the slot is free.
        ASSERT_TRUE(ctl.send("\r\n\r\n"));
        ASSERT_EQ(ctl.receiveRaw(2, 3000), "\r\n") << "churn " << i << "\n" << router.log();
        if (useSink) {
            prev = std::make_unique<ReceivedMsg>(req->text());
            earlier[*id] = std::move(req);
        } else {
            prev = nullptr;
        }
        if (i % 16 == 0) sink.drain(0);
    }
    const int64_t elapsed = timer::nowMs() - start;
    EXPECT_EQ(ids.size(), static_cast<size_t>(kChurns + 1));
    // Every stale reply went where its Via said, the sink; none was lost on the way.
    const int64_t deadline = timer::nowMs() + 10000;
    while (sink.callIds.size() < staleSent.size() && timer::nowMs() < deadline) sink.drain(100);
    EXPECT_EQ(sink.callIds, staleSent) << router.log();
    RecordProperty("churns_ms", static_cast<int>(elapsed));
}

}  // namespace
}  // namespace osprey::testsupport
