// libFuzzer target: the binrpc decoder (core/rpc/binrpc.h) on arbitrary bytes, as the control
// socket feeds it: frame, then decode the request body. Invariants:
//   - no crash, no read past the frame, no unbounded recursion;
//   - the frame never announces more than the size limit as Ok;
//   - a decoded request, encoded again and decoded, gives the same method and arguments
//     (compared through their JSON text), and its header round-trips the cookie.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/rpc/binrpc.h"
#include "core/rpc/json.h"

using namespace osprey::rpc;

namespace {

constexpr size_t kMaxBody = 64 * 1024;

void failIf(bool bad, const char* what) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
}

std::string argsText(const std::vector<Value>& args) {
    std::string s;
    for (const Value& a : args) {
        writeJson(a, &s);
        s.push_back(';');
    }
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    BinrpcFrame f = binrpcFrame(in, kMaxBody);
    if (f.status != FrameStatus::Ok) {
        // The bytes after the header may be anything: decode them as a body as well.
        std::vector<Value> vals;
        std::string err;
        decodeBinrpcRecords(in, &vals, &err);
        return 0;
    }
    failIf(f.bodyLen > kMaxBody, "an Ok frame above the limit");
    failIf(f.headerLen + f.bodyLen > in.size(), "an Ok frame past the input");
    BinrpcRequest req;
    std::string err;
    if (!decodeBinrpcRequest(in.substr(f.headerLen, f.bodyLen), &req, &err)) return 0;

    std::string pkt = encodeBinrpcRequest(f.cookie, req.method, req.args);
    BinrpcFrame g = binrpcFrame(pkt, SIZE_MAX);
    failIf(g.status != FrameStatus::Ok, "an encoded request does not frame");
    failIf(g.cookie != f.cookie, "the cookie does not round-trip");
    BinrpcRequest again;
    failIf(!decodeBinrpcRequest(std::string_view(pkt).substr(g.headerLen, g.bodyLen), &again, &err),
           "an encoded request does not decode");
    failIf(again.method != req.method, "the method does not round-trip");
    // Doubles are fixed point on the wire (3 decimals): compare what survives one trip.
    std::string pkt2 = encodeBinrpcRequest(f.cookie, again.method, again.args);
    BinrpcRequest third;
    BinrpcFrame h = binrpcFrame(pkt2, SIZE_MAX);
    failIf(
        !decodeBinrpcRequest(std::string_view(pkt2).substr(h.headerLen, h.bodyLen), &third, &err),
        "a re-encoded request does not decode");
    failIf(argsText(again.args) != argsText(third.args), "arguments do not round-trip");

    // Replies and faults encode whatever the arguments hold.
    Value arr = Value::array();
    for (const Value& a : again.args) arr.push(a);
    std::string rep = encodeBinrpcReply(f.cookie, arr, true);
    std::vector<Value> back;
    BinrpcFrame r = binrpcFrame(rep, SIZE_MAX);
    failIf(!decodeBinrpcRecords(std::string_view(rep).substr(r.headerLen, r.bodyLen), &back, &err),
           "a reply does not decode");
    failIf(back.size() != again.args.size(), "a spread reply lost records");
    return 0;
}
