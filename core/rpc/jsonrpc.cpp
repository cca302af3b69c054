#include "core/rpc/jsonrpc.h"

#include "core/rpc/json.h"
#include "core/rpc/registry.h"

namespace osprey::rpc {

namespace {

constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;

int httpStatusFor(int code) {
    return code >= 100 && code <= 599 ? code : 500;
}

JsonRpcReply errorReply(const Value* id, int code, std::string_view message) {
    JsonRpcReply r;
    r.httpStatus = httpStatusFor(code);
    r.body = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":" + std::to_string(code) + ",\"message\":";
    writeJsonString(message, &r.body);
    r.body += "},\"id\":";
    if (id != nullptr) {
        writeJson(*id, &r.body);
    } else {
        r.body += "null";
    }
    r.body += "}";
    return r;
}

}  // namespace

JsonRpcReply jsonRpcParseError(std::string_view detail) {
    return errorReply(nullptr, kParseError, "Parse Error: " + std::string(detail));
}

JsonRpcReply handleJsonRpc(const Value& request) {
    if (!request.isStruct()) return errorReply(nullptr, kInvalidRequest, "Invalid Request");
    const Value* id = request.find("id");
    const Value* method = request.find("method");
    const Value* params = request.find("params");
    if (method == nullptr || !method->isString())
        return errorReply(id, kInvalidRequest, "Invalid Request");
    std::vector<Value> args;
    if (params != nullptr) {
        if (params->isArray()) {
            args = params->items();
        } else if (!params->isNull()) {
            // Kamailio's jsonrpcs takes a lone value as the only parameter.
            args.push_back(*params);
        }
    }
    const Method* m = findMethod(method->asString());
    if (m == nullptr) return errorReply(id, kMethodNotFound, "Method Not Found");
    Result res = invoke(*m, std::move(args));
    if (id == nullptr) return JsonRpcReply{"", 200};
    if (!res.ok()) return errorReply(id, res.error().code, res.error().text);
    JsonRpcReply r;
    r.body = "{\"jsonrpc\":\"2.0\",\"result\":";
    if (res.value().isNull()) {
        r.body += (m->flags & kReturnsArray) != 0 ? "[]" : "{}";
    } else {
        writeJson(res.value(), &r.body);
    }
    r.body += ",\"id\":";
    writeJson(*id, &r.body);
    r.body += "}";
    return r;
}

}  // namespace osprey::rpc
