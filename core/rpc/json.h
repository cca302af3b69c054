// A small JSON reader and writer (RFC 8259) over rpc::Value, for the JSON-RPC front ends and
// ospreyctl. Objects become structs (member order kept), true/false become integers 1/0 (the
// RPC value tree has no booleans, as Kamailio's has none), numbers without a fraction or
// exponent that fit in 64 bits become integers. The reader bounds nesting depth, so hostile
// input cannot exhaust the stack, and tells "incomplete" from "invalid" so a stream front end
// knows whether to wait for more bytes.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "core/rpc/value.h"

namespace osprey::rpc {

enum class JsonStatus : uint8_t { Ok, Incomplete, Invalid };

struct JsonParse {
    JsonStatus status = JsonStatus::Invalid;
    size_t consumed = 0;  // Ok: bytes of the value (leading whitespace included)
    size_t errorAt = 0;   // Invalid: offset of the problem
    std::string error;    // Invalid: what is wrong
};

inline constexpr unsigned kJsonMaxDepth = 64;

// Parses one JSON value at the start of `text` (trailing bytes are left alone: the caller
// decides whether they are the next request or garbage).
JsonParse parseJson(std::string_view text, Value* out, unsigned maxDepth = kJsonMaxDepth);

// Appends v as compact JSON.
void writeJson(const Value& v, std::string* out);
// Appends s as a JSON string literal (quotes and escapes); invalid UTF-8 bytes become U+FFFD.
void writeJsonString(std::string_view s, std::string* out);

}  // namespace osprey::rpc
