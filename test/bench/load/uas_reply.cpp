#include "test/bench/load/uas_reply.h"

#include <cstdio>
#include <cstring>

namespace osprey::load {

namespace {

// Appends to a fixed buffer; once something does not fit, ok() stays false.
class Writer {
public:
    Writer(char* buf, size_t cap) : buf_(buf), cap_(cap) {}
    void put(std::string_view s) {
        if (len_ + s.size() > cap_) {
            ok_ = false;
            return;
        }
        std::memcpy(buf_ + len_, s.data(), s.size());
        len_ += s.size();
    }
    bool ok() const { return ok_; }
    size_t size() const { return len_; }

private:
    char* buf_;
    size_t cap_;
    size_t len_ = 0;
    bool ok_ = true;
};

bool isCopiedHeader(std::string_view name) {
    return headerIs(name, "via", 'v') || headerIs(name, "from", 'f') ||
           headerIs(name, "call-id", 'i') || headerIs(name, "cseq") ||
           headerIs(name, "record-route");
}

}  // namespace

size_t writeOkReply(const SplitMessage& req, bool invite, std::string_view contactLine,
                    unsigned tagNumber, char* out, size_t cap) {
    Writer w(out, cap);
    w.put("SIP/2.0 200 OK\r\n");
    for (int i = 0; i < req.count; i++) {
        const HeaderLine& h = req.headers[i];
        if (isCopiedHeader(h.name)) {
            w.put(h.line);
        } else if (headerIs(h.name, "to", 't')) {
            w.put(h.line.substr(0, h.line.size() - 2));
            if (findNoCase(h.value, ";tag=") == std::string_view::npos) {
                char tag[32];
                int n = std::snprintf(tag, sizeof(tag), ";tag=uas%x", tagNumber);
                w.put(std::string_view(tag, static_cast<size_t>(n)));
            }
            w.put("\r\n");
        }
    }
    if (invite) w.put(contactLine);
    w.put("Content-Length: 0\r\n\r\n");
    return w.ok() ? w.size() : 0;
}

}  // namespace osprey::load
