// Pages other parts of Osprey serve on the RPC HTTP listener (rpc_http_listen), e.g. the
// statistics' Prometheus page:
//
//     rpc::setHttpGetHandler("/metrics", &renderMetrics);
//
// Register in the master before fork (a module's init, a MasterInit step): the control process
// inherits the table. The handler runs in the control process for GET and HEAD of that path,
// must not block, and fills the response; the listener adds the status line, an exact
// Content-Length and the connection handling.
#pragma once
#include <string>
#include <string_view>

namespace osprey::rpc {

struct HttpGetResponse {
    int status = 200;
    std::string contentType = "text/plain; charset=utf-8";
    std::string body;
};

using HttpGetHandler = void (*)(HttpGetResponse* out) noexcept;

// Adds or replaces the handler of `path` ("/metrics"); false when the table is full or the
// path does not start with '/'. nullptr removes it.
bool setHttpGetHandler(std::string_view path, HttpGetHandler fn);
HttpGetHandler httpGetHandler(std::string_view path);

}  // namespace osprey::rpc
