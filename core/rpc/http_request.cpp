#include "core/rpc/http_request.h"

#include <strings.h>

#include <cctype>

namespace osprey::rpc {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Whether a comma separated header value holds `token` (case-insensitively).
bool hasToken(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        size_t c = value.find(',');
        if (iequals(trim(value.substr(0, c)), token)) return true;
        if (c == std::string_view::npos) break;
        value.remove_prefix(c + 1);
    }
    return false;
}

HttpParseStatus invalid(HttpRequest* out, int status) {
    out->errorStatus = status;
    return HttpParseStatus::Invalid;
}

}  // namespace

HttpParseStatus parseHttpHead(std::string_view buf, size_t maxBody, HttpRequest* out) {
    size_t end = buf.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        return buf.size() > kHttpMaxHead ? invalid(out, 431) : HttpParseStatus::Incomplete;
    }
    if (end + 4 > kHttpMaxHead) return invalid(out, 431);
    out->headLen = end + 4;
    std::string_view head = buf.substr(0, end);
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    std::string_view rest =
        eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);

    // request-line = method SP request-target SP HTTP-version
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1) return invalid(out, 400);
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    for (char c : method) {
        if (!isupper(static_cast<unsigned char>(c))) return invalid(out, 400);
    }
    if (target.empty() || target.front() != '/') return invalid(out, 400);
    int minor = 0;
    if (version == "HTTP/1.1") {
        minor = 1;
    } else if (version != "HTTP/1.0") {
        return invalid(out, version.substr(0, 5) == "HTTP/" ? 505 : 400);
    }
    out->method = std::string(method);
    out->path = std::string(target.substr(0, target.find('?')));
    out->keepAlive = minor == 1;

    bool haveLength = false;
    while (!rest.empty()) {
        size_t e = rest.find("\r\n");
        std::string_view h = rest.substr(0, e);
        rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
        size_t colon = h.find(':');
        if (colon == std::string_view::npos || colon == 0 || h[colon - 1] == ' ' ||
            h.front() == ' ' || h.front() == '\t')
            return invalid(out, 400);  // no obs-fold, no space before the colon (RFC 9112 §5)
        std::string_view name = h.substr(0, colon);
        std::string_view value = trim(h.substr(colon + 1));
        if (iequals(name, "Content-Length")) {
            if (value.empty() || value.size() > 18 || haveLength) return invalid(out, 400);
            size_t n = 0;
            for (char c : value) {
                if (!isdigit(static_cast<unsigned char>(c))) return invalid(out, 400);
                n = n * 10 + static_cast<size_t>(c - '0');
            }
            haveLength = true;
            out->contentLength = n;
        } else if (iequals(name, "Transfer-Encoding")) {
            return invalid(out, 501);
        } else if (iequals(name, "Connection")) {
            if (hasToken(value, "close")) out->keepAlive = false;
            if (hasToken(value, "keep-alive")) out->keepAlive = true;
        } else if (iequals(name, "Expect")) {
            if (!iequals(value, "100-continue")) return invalid(out, 417);
            out->expectContinue = minor == 1;
        }
    }
    if (out->contentLength > maxBody) return invalid(out, 413);
    return HttpParseStatus::Ok;
}

const char* httpReason(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 413:
            return "Content Too Large";
        case 415:
            return "Unsupported Media Type";
        case 417:
            return "Expectation Failed";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return status < 300 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
    }
}

std::string httpResponse(int status, std::string_view contentType, std::string_view body,
                         bool keepAlive, bool headOnly, std::string_view allow) {
    std::string r = "HTTP/1.1 " + std::to_string(status) + " " + httpReason(status) + "\r\n";
    r += "Server: osprey\r\n";
    if (!contentType.empty()) {
        r += "Content-Type: ";
        r += contentType;
        r += "\r\n";
    }
    if (!allow.empty()) {
        r += "Allow: ";
        r += allow;
        r += "\r\n";
    }
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    r += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (!headOnly) r += body;
    return r;
}

}  // namespace osprey::rpc
