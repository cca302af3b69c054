// libFuzzer target: a control connection (core/rpc/session.h) fed arbitrary bytes in arbitrary
// reads, on each front end: the sniffing of binrpc and JSON-RPC, the JSON-RPC stream framing,
// and the HTTP/1.1 head and body framing, running real (test) methods. Input: 2 octets of
// schedule, then the stream.
//   octet 0: the front end (Ctl, JsonRpc, Http) and the largest read (1..256 or everything)
//   octet 1: seed of the read sizes
// Invariants: no crash; the session never holds more input than kMaxInputBytes (the server
// reads only what inputRoom() allows); once it says close, further input makes no output;
// every HTTP answer it writes carries a Content-Length equal to its body's length.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/rpc/http_get.h"
#include "core/rpc/registry.h"
#include "core/rpc/session.h"

using namespace osprey::rpc;

namespace {

Result echo(int64_t n, std::optional<std::string_view> s) noexcept {
    Value v = Value::structure();
    v.add("n", n);
    if (s) v.add("s", *s);
    return v;
}
Result many(int64_t count) noexcept {
    Value v = Value::array();
    for (int64_t i = 0; i < count % 64; ++i) v.push(i);
    return v;
}
Result fault() noexcept {
    return Result::fault(404, "not found");
}
constexpr Method kMethods[] = {
    method<&echo>("t.echo", "n s", "echo"),
    method<&many>("t.many", "count", "many", kReturnsArray),
    method<&fault>("t.fault", "", "fault"),
};

void page(HttpGetResponse* out) noexcept {
    out->body = "page\n";
}

void failIf(bool bad, const char* what) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
}

// Every "HTTP/1.1 " answer in out has a Content-Length that its body fills exactly (called
// only when no request could be a HEAD, whose answers announce a body they leave out).
void checkHttp(std::string_view out) {
    while (!out.empty()) {
        failIf(out.substr(0, 9) != "HTTP/1.1 ", "an answer that is not HTTP/1.1");
        const size_t end = out.find("\r\n\r\n");
        failIf(end == std::string_view::npos, "an answer without the end of its head");
        std::string_view head = out.substr(0, end);
        out.remove_prefix(end + 4);
        if (head.substr(9, 3) == "100") continue;  // 100 Continue has no body
        const size_t cl = head.find("Content-Length: ");
        failIf(cl == std::string_view::npos, "an answer without Content-Length");
        const size_t len = strtoul(std::string(head.substr(cl + 16)).c_str(), nullptr, 10);
        failIf(len > out.size(), "Content-Length beyond the answer");
        out.remove_prefix(len);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const bool init = [] {
        std::string error;
        addMethods(kMethods, "fuzz", &error);
        setHttpGetHandler("/metrics", &page);
        return true;
    }();
    (void)init;
    if (size < 2) return 0;
    const Front front = static_cast<Front>(data[0] % 3);
    static constexpr size_t kReads[] = {1, 2, 3, 7, 64, 256, SIZE_MAX, SIZE_MAX};
    const size_t largest = kReads[(data[0] >> 2) & 7];
    uint32_t seed = data[1] * 2654435761u + 1;
    std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

    Session s(front);
    std::string all;
    while (!in.empty()) {
        seed = seed * 1103515245u + 12345u;
        size_t want = largest == SIZE_MAX ? in.size() : 1 + (seed >> 8) % largest;
        want = std::min({want, in.size(), s.inputRoom()});
        if (want == 0) break;  // the server would stop reading here
        const bool closedBefore = s.closeAfterOutput();
        const size_t outBefore = s.output().size();
        s.append(in.substr(0, want));
        in.remove_prefix(want);
        s.process();
        failIf(closedBefore && s.output().size() != outBefore, "output after the close");
        failIf(s.inputRoom() > kMaxInputBytes, "input beyond the limit");
        if (s.closeAfterOutput()) break;
    }
    const std::string_view whole(reinterpret_cast<const char*>(data), size);
    if (front == Front::Http && whole.find("HEAD") == std::string_view::npos) checkHttp(s.output());
    return 0;
}
