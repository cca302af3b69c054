// The little HTTP/1.1 (RFC 9112) the RPC listener needs: a request head parsed from a
// connection buffer, and a response with an exact Content-Length. Bodies are sized by
// Content-Length only; a chunked request body is refused (501), which curl and Prometheus never
// send to this server.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace osprey::rpc {

enum class HttpParseStatus : uint8_t { Ok, Incomplete, Invalid };

struct HttpRequest {
    std::string method;  // "GET", "POST", ...
    std::string path;    // the target without its query
    bool keepAlive = true;
    bool expectContinue = false;
    size_t contentLength = 0;
    size_t headLen = 0;   // bytes of the request line and headers, blank line included
    int errorStatus = 0;  // Invalid: the status to answer (400, 413, 431, 501, 505)
};

inline constexpr size_t kHttpMaxHead = 8 * 1024;

// Parses the head at the start of buf; Incomplete until the blank line arrives (Invalid once
// the head is longer than kHttpMaxHead), Invalid with errorStatus set for a bad request.
HttpParseStatus parseHttpHead(std::string_view buf, size_t maxBody, HttpRequest* out);

// A complete response. `allow` adds an Allow header (405).
std::string httpResponse(int status, std::string_view contentType, std::string_view body,
                         bool keepAlive, bool headOnly = false, std::string_view allow = {});
const char* httpReason(int status);

}  // namespace osprey::rpc
