#include "core/rpc/session.h"

#include "core/rpc/binrpc.h"
#include "core/rpc/http_get.h"
#include "core/rpc/http_request.h"
#include "core/rpc/json.h"
#include "core/rpc/jsonrpc.h"
#include "core/rpc/registry.h"

namespace osprey::rpc {

namespace {

constexpr std::string_view kJsonType = "application/json";

size_t leadingSpace(std::string_view s) {
    size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    return i;
}

}  // namespace

unsigned Session::process() {
    unsigned n = 0;
    while (!close_) {
        if (proto_ == Proto::Unknown) {
            if (front_ == Front::Http) {
                proto_ = Proto::Http;
            } else {
                in_.erase(0, leadingSpace(in_));
                if (in_.empty()) break;
                const bool binrpc = static_cast<uint8_t>(in_[0]) == kBinrpcMagicVersion;
                proto_ = binrpc && front_ == Front::Ctl ? Proto::Binrpc : Proto::Json;
            }
        }
        bool more = false;
        switch (proto_) {
            case Proto::Binrpc:
                more = binrpcStep();
                break;
            case Proto::Json:
                more = jsonStep();
                break;
            case Proto::Http:
                more = httpStep();
                break;
            case Proto::Unknown:
                break;
        }
        if (!more) break;
        ++n;
    }
    return n;
}

bool Session::binrpcStep() {
    if (in_.empty()) return false;
    BinrpcFrame f = binrpcFrame(in_, kMaxRequestBytes);
    if (f.status == FrameStatus::Incomplete) return false;
    if (f.status == FrameStatus::Invalid) {
        out_ += encodeBinrpcFault(f.cookie, kBadRequest, f.error);
        close_ = true;
        return false;
    }
    if (f.type != BinrpcType::Request) {
        out_ += encodeBinrpcFault(f.cookie, kBadRequest, "not a binrpc request");
        close_ = true;
        return false;
    }
    std::string_view body(in_.data() + f.headerLen, f.bodyLen);
    BinrpcRequest req;
    std::string error;
    if (!decodeBinrpcRequest(body, &req, &error)) {
        out_ += encodeBinrpcFault(f.cookie, kBadRequest, "bad binrpc packet: " + error);
        close_ = true;
        return false;
    }
    in_.erase(0, f.headerLen + f.bodyLen);
    const Method* m = findMethod(req.method);
    if (m == nullptr) {
        out_ += encodeBinrpcFault(f.cookie, kInternal, "command " + req.method + " not found");
        return true;
    }
    Result res = invoke(*m, std::move(req.args));
    if (res.ok()) {
        out_ += encodeBinrpcReply(f.cookie, res.value(), (m->flags & kReturnsArray) != 0);
    } else {
        out_ += encodeBinrpcFault(f.cookie, res.error().code, res.error().text);
    }
    return true;
}

bool Session::jsonStep() {
    in_.erase(0, leadingSpace(in_));
    if (in_.empty()) return false;
    Value req;
    JsonParse p = parseJson(in_, &req);
    if (p.status == JsonStatus::Incomplete) {
        if (in_.size() < kMaxRequestBytes) return false;
        out_ +=
            jsonRpcParseError("request larger than " + std::to_string(kMaxRequestBytes) + " bytes")
                .body +
            "\n";
        close_ = true;
        return false;
    }
    if (p.status == JsonStatus::Invalid) {
        out_ += jsonRpcParseError(p.error + " at offset " + std::to_string(p.errorAt)).body + "\n";
        close_ = true;
        return false;
    }
    in_.erase(0, p.consumed);
    JsonRpcReply r = handleJsonRpc(req);
    if (!r.body.empty()) out_ += r.body + "\n";
    return true;
}

bool Session::httpStep() {
    if (in_.empty()) return false;
    HttpRequest req;
    HttpParseStatus st = parseHttpHead(in_, kMaxRequestBytes, &req);
    if (st == HttpParseStatus::Incomplete) return false;
    if (st == HttpParseStatus::Invalid) {
        out_ += httpResponse(req.errorStatus, "text/plain",
                             std::string(httpReason(req.errorStatus)) + "\n", false);
        close_ = true;
        return false;
    }
    if (in_.size() < req.headLen + req.contentLength) {
        if (req.expectContinue && !continueSent_) {
            out_ += "HTTP/1.1 100 Continue\r\n\r\n";
            continueSent_ = true;
        }
        return false;
    }
    std::string body = in_.substr(req.headLen, req.contentLength);
    in_.erase(0, req.headLen + req.contentLength);
    continueSent_ = false;
    const bool keep = req.keepAlive;
    if (!keep) close_ = true;

    if (req.path == "/RPC" || req.path == "/jsonrpc") {
        if (req.method != "POST") {
            out_ +=
                httpResponse(405, "text/plain", "use POST\n", keep, req.method == "HEAD", "POST");
            return keep;
        }
        Value doc;
        JsonParse p = parseJson(body, &doc);
        JsonRpcReply r;
        if (p.status != JsonStatus::Ok ||
            body.find_first_not_of(" \t\r\n", p.consumed) != std::string::npos) {
            r = jsonRpcParseError(p.status == JsonStatus::Ok ? "trailing bytes after the request"
                                                             : p.error);
        } else {
            r = handleJsonRpc(doc);
        }
        out_ += httpResponse(r.httpStatus, kJsonType, r.body, keep);
        return keep;
    }
    if (HttpGetHandler fn = httpGetHandler(req.path)) {
        if (req.method != "GET" && req.method != "HEAD") {
            out_ += httpResponse(405, "text/plain", "use GET\n", keep, false, "GET, HEAD");
            return keep;
        }
        HttpGetResponse resp;
        fn(&resp);
        out_ += httpResponse(resp.status, resp.contentType, resp.body, keep, req.method == "HEAD");
        return keep;
    }
    out_ += httpResponse(404, "text/plain", "not found\n", keep, req.method == "HEAD");
    return keep;
}

}  // namespace osprey::rpc
