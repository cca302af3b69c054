// Bencode, the encoding of rtpengine's NG control protocol: byte strings "<len>:<bytes>",
// integers "i<n>e", lists "l...e" and dictionaries "d<key><value>...e" (keys are strings).
//
// The writer appends into a caller's fixed buffer and remembers an overflow instead of
// failing each call, so a request is built without a check per item and tested once at the
// end. The reader decodes in place into a caller's array of nodes (pre-order; every node
// knows where its subtree ends), every string a view into the input: no allocation, bounded
// depth, and the whole input must be exactly one value. Untrusted input (a datagram from the
// network) yields an error value that says what and where, never a crash.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace osprey::bencode {

class Writer {
public:
    Writer(char* buf, size_t cap) : buf_(buf), cap_(cap) {}

    void str(std::string_view s);
    void integer(int64_t v);
    void beginDict() { raw("d"); }
    void beginList() { raw("l"); }
    void end() { raw("e"); }
    // A dictionary entry with a string value.
    void entry(std::string_view key, std::string_view value) {
        str(key);
        str(value);
    }

    bool overflow() const { return overflow_; }
    std::string_view view() const { return {buf_, len_}; }
    size_t size() const { return len_; }

private:
    void raw(std::string_view s);

    char* buf_;
    size_t cap_;
    size_t len_ = 0;
    bool overflow_ = false;
};

enum class Type : uint8_t { Str, Int, List, Dict };

struct Node {
    Type type = Type::Str;
    uint32_t count = 0;  // List/Dict: direct children (a Dict's are key, value, key, value ...)
    uint32_t end = 0;    // index just past this node's subtree
    std::string_view str;
    int64_t num = 0;
};

enum class Errc : uint8_t {
    Ok = 0,
    Empty,
    Truncated,      // the input ends inside a value
    BadString,      // a length that is not a decimal number without leading zeros
    BadInteger,     // not i<decimal>e, a leading zero, "-0", or out of 64-bit range
    BadKey,         // a dictionary key that is not a string
    UnknownType,    // a byte that starts no value
    TooDeep,        // more nesting than kMaxDepth
    TooManyNodes,   // more values than the node array holds
    TrailingBytes,  // something after the one top-level value
};

struct Error {
    Errc code = Errc::Ok;
    uint32_t offset = 0;  // where in the input
    explicit operator bool() const { return code != Errc::Ok; }
};

inline constexpr unsigned kMaxDepth = 32;

const char* errcName(Errc c);

// Decodes `in` into nodes[0..count); nodes[0] is the top-level value.
Error decode(std::string_view in, std::span<Node> nodes, uint32_t& count);

// The value stored under `key` in the dictionary at nodes[dict]; nullptr when absent or when
// nodes[dict] is not a dictionary.
const Node* dictGet(std::span<const Node> nodes, uint32_t dict, std::string_view key);
// Index of a node (for dictGet on a nested dictionary).
inline uint32_t indexOf(std::span<const Node> nodes, const Node* n) {
    return static_cast<uint32_t>(n - nodes.data());
}

}  // namespace osprey::bencode
