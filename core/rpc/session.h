// One client connection's protocol state in the control process, without the socket: bytes
// in, replies out. The server (control_process.cpp) does the I/O; the session frames requests
// (binrpc, JSON-RPC or HTTP), runs them through the registry and queues the replies. Every
// limit a peer could push against is here: the input buffer is bounded (a request larger than
// kMaxRequestBytes is refused), and a protocol error answers once and closes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace osprey::rpc {

// What a listener speaks. Ctl: binrpc or JSON-RPC, told apart by the first byte (binrpc
// packets start with 0xA1, JSON documents with '{').
enum class Front : uint8_t { Ctl, JsonRpc, Http };

inline constexpr size_t kMaxRequestBytes = 64 * 1024;
// Input kept at most: a request, an HTTP head, and the start of the next pipelined request.
inline constexpr size_t kMaxInputBytes = kMaxRequestBytes + 16 * 1024;

class Session {
public:
    explicit Session(Front front) : front_(front) {}

    // Room left in the input buffer (0: stop reading until process() consumed some).
    size_t inputRoom() const {
        return in_.size() >= kMaxInputBytes ? 0 : kMaxInputBytes - in_.size();
    }
    void append(std::string_view bytes) { in_.append(bytes); }
    // Runs every complete request in the input; returns how many. Replies go to output().
    unsigned process();
    // The peer closed its side: a half-received request is dropped.
    bool partialInput() const { return !in_.empty(); }

    std::string& output() { return out_; }
    // After the queued output is sent the connection must close (protocol error, HTTP close).
    bool closeAfterOutput() const { return close_; }

private:
    enum class Proto : uint8_t { Unknown, Binrpc, Json, Http };
    // Each returns true when it consumed a request and the loop may look for another.
    bool binrpcStep();
    bool jsonStep();
    bool httpStep();

    Front front_;
    Proto proto_ = Proto::Unknown;
    std::string in_;
    std::string out_;
    bool close_ = false;
    bool continueSent_ = false;
};

}  // namespace osprey::rpc
