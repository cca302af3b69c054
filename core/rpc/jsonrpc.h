// JSON-RPC 2.0 over the registry, answering as Kamailio's jsonrpcs module does:
//   {"jsonrpc":"2.0","result":...,"id":1}
//   {"jsonrpc":"2.0","error":{"code":404,"message":"AOR not found"},"id":1}
// A method's fault keeps its code and text; the protocol's own errors use the JSON-RPC codes
// (-32700 Parse Error, -32600 Invalid Request, -32601 Method Not Found). A method flagged
// kReturnsArray answers an array; a method that returns nothing answers {}.
#pragma once
#include <string>
#include <string_view>

#include "core/rpc/value.h"

namespace osprey::rpc {

struct JsonRpcReply {
    std::string body;      // the reply document (no trailing newline); empty: send nothing
    int httpStatus = 200;  // what the HTTP front end answers (Kamailio: the fault code, or 500)
};

// Runs one parsed request (a notification, without "id", gets no reply).
JsonRpcReply handleJsonRpc(const Value& request);
// The reply to input that is not JSON (`detail` says why).
JsonRpcReply jsonRpcParseError(std::string_view detail);

}  // namespace osprey::rpc
