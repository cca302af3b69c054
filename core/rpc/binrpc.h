// Kamailio's binrpc wire format (the ctl module's protocol, spoken by kamcmd), encoded and
// decoded over rpc::Value. A packet is a header and a body of records:
//
//   header  byte 0: magic 0xA, version 1 (0xA1)
//           byte 1: type (4 bits: 0 request, 1 reply, 3 fault), length-of-length - 1 (2 bits),
//                   cookie-length - 1 (2 bits)
//           then the body length and the cookie, big endian, on 1-4 bytes each
//   record  1 byte: S (1 bit), size (3 bits), type (4 bits); with S clear, size is the value's
//           length; with S set, the next `size` bytes hold the value's length (and a zero length
//           marks the end of a struct or array). Types: 0 int, 1 string (NUL terminated,
//           counted), 2 double (fixed point: value * 1000 as an integer), 3 struct, 4 array,
//           5 struct member name (followed by its value), 6 bytes.
//
// A request's first record is the method name, the others its parameters. A reply's records
// are the values; a fault's are an int code and a string. Structs cannot hold arrays on the
// wire: an array inside a struct or array is sent as a struct of unnamed values, as Kamailio
// does, and kamcmd prints it that way.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/rpc/value.h"

namespace osprey::rpc {

inline constexpr uint8_t kBinrpcMagicVersion = 0xA1;
enum class BinrpcType : uint8_t { Request = 0, Reply = 1, Fault = 3 };

enum class FrameStatus : uint8_t { Ok, Incomplete, Invalid };

struct BinrpcFrame {
    FrameStatus status = FrameStatus::Invalid;
    BinrpcType type = BinrpcType::Request;
    size_t headerLen = 0;
    size_t bodyLen = 0;
    uint32_t cookie = 0;
    const char* error = "";  // Invalid: why
};

// Reads the header at the start of buf. Ok once the whole packet (header + body) is in buf; a
// body longer than maxBody is Invalid, so a peer cannot make us buffer a huge packet.
BinrpcFrame binrpcFrame(std::string_view buf, size_t maxBody);

struct BinrpcRequest {
    std::string method;
    std::vector<Value> args;
};

inline constexpr unsigned kBinrpcMaxDepth = 32;

// Decodes a request body (the bytes after the header); false with *error on a bad record.
bool decodeBinrpcRequest(std::string_view body, BinrpcRequest* out, std::string* error);
// Decodes a body of records into values (replies, tests).
bool decodeBinrpcRecords(std::string_view body, std::vector<Value>* out, std::string* error);

// A complete reply packet. `spread`: v is an array whose elements are sent as top-level records
// (methods that return several values); a null v sends no record.
std::string encodeBinrpcReply(uint32_t cookie, const Value& v, bool spread);
std::string encodeBinrpcFault(uint32_t cookie, int code, std::string_view text);
// A complete request packet (tests, tools).
std::string encodeBinrpcRequest(uint32_t cookie, std::string_view method,
                                const std::vector<Value>& args);

}  // namespace osprey::rpc
