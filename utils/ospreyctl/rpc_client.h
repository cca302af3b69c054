// One JSON-RPC 2.0 call over the control socket (which answers JSON-RPC as well as binrpc).
#pragma once
#include <string>
#include <vector>

#include "core/rpc/value.h"
#include "utils/ospreyctl/ctl_target.h"

namespace osprey::ctl {

enum class CallStatus { Ok, RpcError, NoConnection };

struct CallResult {
    CallStatus status = CallStatus::NoConnection;
    rpc::Value result;    // Ok
    int code = 0;         // RpcError
    std::string message;  // RpcError: the server's text; NoConnection: what failed
};

CallResult call(const Target& t, const std::string& method, const std::vector<rpc::Value>& params,
                int timeoutMs = 10000);

}  // namespace osprey::ctl
