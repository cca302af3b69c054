// A small SIP peer for integration tests: a UDP socket on loopback (IPv4 or IPv6) that plays
// UAC or UAS against a running osprey. Requests are built from a template (SipRequest),
// responses from a received request (buildResponse), and what arrives is parsed with the
// router's own parser (core/sip), with bounded waits (poll) everywhere.
//
//   SipPeer uac, uas;
//   SipRequest r;  r.ruri = "sip:bob@127.0.0.1:" + std::to_string(port);
//   uac.sendTo(buildRequest(uac, r), proxyPort);
//   auto req = uas.receiveMsg(2000);                    // nullptr on timeout
//   uas.sendTo(buildResponse(*req, 200, "OK"), proxyPort);
//   auto resp = uac.receiveMsg(2000);
//   EXPECT_EQ(resp->status(), 200);
#pragma once
#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sip/msg.h"

namespace osprey::testsupport {

// A received message, kept with its text and parsed (start line, every header).
class ReceivedMsg {
public:
    explicit ReceivedMsg(std::string text);
    ReceivedMsg(const ReceivedMsg&) = delete;
    ReceivedMsg& operator=(const ReceivedMsg&) = delete;

    bool parsed() const { return parsed_; }
    const std::string& text() const { return text_; }
    bool isRequest() const { return msg_.isRequest(); }
    int status() const { return msg_.start.status; }
    std::string reason() const { return std::string(msg_.start.reason); }
    std::string method() const { return std::string(msg_.start.methodText); }
    std::string requestUri() const { return std::string(msg_.start.uri); }

    // Value of the first header of that name (compact forms too); "" when absent.
    std::string header(std::string_view name);
    bool has(std::string_view name);
    // Values of every header line of that name, in order (a line "a, b" is one entry).
    std::vector<std::string> headers(std::string_view name);
    // Every Via value, one per via-parm, in order ("SIP/2.0/UDP h:p;branch=...").
    std::vector<std::string> vias();
    // The branch of the top Via.
    std::string topBranch();
    // A parameter of the Via at position i (0 = top); nullopt when absent, "" for a flag.
    std::optional<std::string> viaParam(size_t i, std::string_view name);

    sip::SipMsg& msg() { return msg_; }

    // The source of the datagram.
    sockaddr_storage from{};

private:
    std::string text_;
    sip::SipMsg msg_;
    bool parsed_ = false;
};

class SipPeer {
public:
    // Binds a UDP socket to 127.0.0.1:0 (AF_INET) or [::1]:0 (AF_INET6).
    explicit SipPeer(int family = AF_INET);
    // Binds to another IPv4 loopback address ("127.0.0.9"): a second source as the router sees
    // it (per-source limits, address lists). Sends still go to 127.0.0.1.
    explicit SipPeer(const char* ipv4Loopback);
    ~SipPeer();
    SipPeer(const SipPeer&) = delete;
    SipPeer& operator=(const SipPeer&) = delete;

    bool ok() const { return fd_ >= 0; }
    int family() const { return family_; }
    uint16_t port() const { return port_; }
    std::string ip() const;    // "127.0.0.1" / "::1"
    std::string host() const;  // "127.0.0.1" / "[::1]"
    std::string hostPort() const { return host() + ":" + std::to_string(port_); }

    // To the peer's own loopback address (same family) at `port`.
    bool sendTo(std::string_view text, uint16_t port);
    // Back to where a received message came from.
    bool sendBack(std::string_view text, const ReceivedMsg& to);
    // Waits up to timeoutMs for one datagram; nullptr on timeout.
    std::unique_ptr<ReceivedMsg> receiveMsg(int timeoutMs = 2000);
    // Receives until a message with this Call-ID arrives (others are dropped); nullptr on
    // timeout.
    std::unique_ptr<ReceivedMsg> receiveCall(std::string_view callId, int timeoutMs = 2000);

private:
    void open(in_addr_t ipv4);

    int fd_ = -1;
    int family_;
    uint16_t port_ = 0;
    std::string ip_;  // the bound IPv4 address when not 127.0.0.1
};

// A request built from a template; what is left empty gets a sensible unique default.
struct SipRequest {
    std::string method = "OPTIONS";
    std::string ruri;    // required
    std::string via;     // Via value; default "SIP/2.0/UDP <peer>;branch=z9hG4bK<unique>;rport"
    std::string from;    // From value; default "<sip:alice@example.com>;tag=<unique>"
    std::string to;      // To value; default "<ruri>"
    std::string callId;  // default unique
    uint32_t cseq = 1;
    std::string cseqMethod;               // default: method
    std::optional<int> maxForwards = 70;  // nullopt: no Max-Forwards header
    std::string extraHeaders;             // complete lines, each ending in \r\n
    std::string body;
};

// A unique token for branches, tags and Call-IDs (process-wide counter + pid).
std::string uniqueToken(std::string_view prefix);
// The request as text; fills the template's defaults in `r` so the caller can see them.
std::string buildRequest(const SipPeer& from, SipRequest& r);
// A response to a received request (RFC 3261 §8.2.6): Via lines, From, To (with toTag added
// when given and the To has none), Call-ID and CSeq copied.
std::string buildResponse(ReceivedMsg& req, int status, std::string_view reason,
                          std::string_view toTag = "uas-tag", std::string_view extra = "");

}  // namespace osprey::testsupport
