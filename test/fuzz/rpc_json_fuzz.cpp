// libFuzzer target: the JSON reader of the RPC front ends (core/rpc/json.h) on arbitrary
// bytes. Invariants:
//   - no crash, no unbounded recursion (the depth bound), consumed never past the input;
//   - a value read, written back and read again gives the same text (writer and reader agree);
//   - a prefix of a valid document is never Invalid before its end (Incomplete or Ok), so a
//     stream front end never rejects a request that is still arriving.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/rpc/json.h"

using osprey::rpc::JsonStatus;
using osprey::rpc::parseJson;
using osprey::rpc::Value;
using osprey::rpc::writeJson;

namespace {

void failIf(bool bad, const char* what, std::string_view in) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n--- input (%zu)\n%.*s\n", what, in.size(),
                 static_cast<int>(in.size()), in.data());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    Value v;
    auto p = parseJson(in, &v);
    if (p.status != JsonStatus::Ok) return 0;
    failIf(p.consumed > in.size(), "consumed past the input", in);

    std::string once;
    writeJson(v, &once);
    once.push_back('\n');  // a top-level number needs a delimiter
    Value again;
    auto q = parseJson(once, &again);
    failIf(q.status != JsonStatus::Ok, "the writer's output does not read back", once);
    std::string twice;
    writeJson(again, &twice);
    twice.push_back('\n');
    failIf(once != twice, "write(read(write(v))) differs from write(v)", once);

    for (size_t cut = 0; cut < p.consumed; cut += 1 + cut / 8) {
        Value part;
        auto r = parseJson(in.substr(0, cut), &part);
        failIf(r.status == JsonStatus::Invalid, "a prefix of a valid document is Invalid", in);
    }
    return 0;
}
