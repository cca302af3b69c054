// libFuzzer target: the NG protocol's bencode reader (modules/rtpengine/bencode.h), which reads
// datagrams from the network. Input: one datagram body.
//
// Invariants:
//   - no crash or overread (ASan); an error's offset lies within the input;
//   - on success every string view lies inside the input, every node's subtree ends after it
//     and within the decoded count, a dictionary has an even number of children whose keys are
//     strings;
//   - what the writer encodes from the decoded tree decodes again to the same tree
//     (the encoding is canonical: the input itself when it was canonical);
//   - parseReply and dictGet on the result stay within the nodes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "modules/rtpengine/bencode.h"
#include "modules/rtpengine/ng_command.h"

using namespace osprey;

namespace {

void failIf(bool bad, const char* what, std::string_view in) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n--- input (%zu)\n%.*s\n", what, in.size(),
                 static_cast<int>(in.size()), in.data());
    std::abort();
}

// Re-encodes the subtree at i; returns the index after it.
uint32_t encode(const bencode::Node* nodes, uint32_t i, bencode::Writer& w) {
    const bencode::Node& n = nodes[i];
    switch (n.type) {
        case bencode::Type::Str:
            w.str(n.str);
            return i + 1;
        case bencode::Type::Int:
            w.integer(n.num);
            return i + 1;
        default:
            break;
    }
    n.type == bencode::Type::List ? w.beginList() : w.beginDict();
    uint32_t j = i + 1;
    for (uint32_t k = 0; k < n.count; ++k) j = encode(nodes, j, w);
    w.end();
    return j;
}

bool same(const bencode::Node* a, const bencode::Node* b, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
        if (a[i].type != b[i].type || a[i].count != b[i].count || a[i].end != b[i].end ||
            a[i].str != b[i].str || a[i].num != b[i].num) {
            return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    static bencode::Node nodes[512];
    static bencode::Node again[512];
    uint32_t count = 0;
    const bencode::Error e = bencode::decode(in, nodes, count);
    if (e) {
        failIf(e.offset > in.size(), "error offset outside the input", in);
        return 0;
    }
    failIf(count == 0 || count > 512, "count", in);
    for (uint32_t i = 0; i < count; ++i) {
        const bencode::Node& n = nodes[i];
        failIf(n.end <= i || n.end > count, "subtree bounds", in);
        if (n.type == bencode::Type::Str && !n.str.empty()) {
            failIf(n.str.data() < in.data() || n.str.data() + n.str.size() > in.data() + in.size(),
                   "string view outside the input", in);
        }
        if (n.type == bencode::Type::Dict) {
            failIf(n.count % 2 != 0, "odd dictionary", in);
            uint32_t j = i + 1;
            for (uint32_t k = 0; k < n.count; ++k) {
                if (k % 2 == 0) failIf(nodes[j].type != bencode::Type::Str, "non-string key", in);
                j = nodes[j].end;
            }
            failIf(j != n.end, "children do not end where the dictionary does", in);
        }
    }
    std::vector<char> buf(size + 64);
    bencode::Writer w(buf.data(), buf.size());
    encode(nodes, 0, w);
    failIf(w.overflow(), "re-encoding longer than the input", in);
    failIf(w.view() != in, "re-encoding differs from the (canonical) input", in);
    uint32_t count2 = 0;
    failIf(static_cast<bool>(bencode::decode(w.view(), again, count2)) || count2 != count ||
               !same(nodes, again, count),
           "re-encoding does not decode alike", in);
    rtpengine::NgReply r;
    if (rtpengine::parseReply(in, nodes, r)) {
        char text[256];
        rtpengine::rtpstatText(std::span<const bencode::Node>(nodes, r.root->end), r, text,
                               sizeof text);
    }
    return 0;
}
