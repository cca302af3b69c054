// Local replies as spans over the request (see reply.h).
#include "core/sip/reply.h"

#include <sys/random.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "core/hash/fnv1a.h"
#include "core/sip/builder.h"
#include "core/sip/builder_sanitize.h"
#include "core/sip/builder_via.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/text.h"
#include "core/sip/via.h"

namespace osprey::sip {

namespace {

// Spans of one reply, in order. The capacity is computed up front from the request.
struct SpanList {
    iovec* iov;
    uint32_t count = 0;
    uint32_t cap;
    size_t bytes = 0;
    void add(const char* p, size_t len) {
        if (len == 0 || count == cap) return;
        iov[count].iov_base = const_cast<char*>(p);
        iov[count].iov_len = len;
        ++count;
        bytes += len;
    }
    void add(std::string_view s) { add(s.data(), s.size()); }
};

// Copies the header line [h.start, h.end) with edits (sorted, inside the line) applied.
void addLine(SpanList& out, const SipMsg& msg, const HeaderField& h, const RangeEdit* edits,
             int n) {
    uint32_t pos = h.start;
    for (int i = 0; i < n; ++i) {
        if (edits[i].start > pos) out.add(msg.data.data() + pos, edits[i].start - pos);
        out.add(edits[i].text);
        if (edits[i].end > pos) pos = edits[i].end;
    }
    out.add(msg.data.data() + pos, h.end - pos);
}

// A display name that must not go out as it came in (RFC 4475 3.1.2.15), as an edit.
bool displayNameEdit(SipMsg& msg, const HeaderField& h, RangeEdit* e) {
    if (h.value.empty()) return false;
    size_t b = 0, end = 0;
    if (checkDisplayName(h.value, &b, &end) != DisplayNameCheck::Repair) return false;
    std::string_view dn = h.value.substr(b, end - b);
    char* p = static_cast<char*>(msg.arena.alloc(quotedDisplayNameSize(dn)));
    if (p == nullptr) return false;
    uint32_t vs = msg.offsetOf(h.value);
    e->start = vs + static_cast<uint32_t>(b);
    e->end = vs + static_cast<uint32_t>(end);
    e->text = std::string_view(p, quoteDisplayName(dn, p));
    return true;
}

bool reasonIsClean(std::string_view r) {
    for (char c : r) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
    }
    return true;
}

// RFC 3261 §12.1.1: a UAS copies Record-Route into responses that establish a dialog.
bool createsDialog(const SipMsg& req, uint16_t status) {
    if (status <= 100 || status >= 300) return false;
    Method m = req.method();
    return m == Method::Invite || m == Method::Subscribe || m == Method::Refer ||
           m == Method::Notify;
}

uint64_t drawTagSalt() {
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof s)) {
        s = static_cast<uint64_t>(time(nullptr)) * 0x9e3779b97f4a7c15ULL ^
            static_cast<uint64_t>(getpid());
    }
    return s;
}

// Drawn while the program loads, so in the master before any fork: every worker has the
// same salt and a retransmission answered by another worker gets the same To tag. (Drawn on
// first use instead, each worker would draw its own.)
const uint64_t kTagSalt = drawTagSalt();

}  // namespace

std::string_view defaultReasonPhrase(uint16_t status) {
    switch (status) {
        case 100:
            return "Trying";
        case 180:
            return "Ringing";
        case 181:
            return "Call Is Being Forwarded";
        case 182:
            return "Queued";
        case 183:
            return "Session Progress";
        case 200:
            return "OK";
        case 202:
            return "Accepted";
        case 300:
            return "Multiple Choices";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Moved Temporarily";
        case 305:
            return "Use Proxy";
        case 380:
            return "Alternative Service";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 402:
            return "Payment Required";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 407:
            return "Proxy Authentication Required";
        case 408:
            return "Request Timeout";
        case 410:
            return "Gone";
        case 413:
            return "Request Entity Too Large";
        case 414:
            return "Request-URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 416:
            return "Unsupported URI Scheme";
        case 420:
            return "Bad Extension";
        case 421:
            return "Extension Required";
        case 423:
            return "Interval Too Brief";
        case 480:
            return "Temporarily Unavailable";
        case 481:
            return "Call/Transaction Does Not Exist";
        case 482:
            return "Loop Detected";
        case 483:
            return "Too Many Hops";
        case 484:
            return "Address Incomplete";
        case 485:
            return "Ambiguous";
        case 486:
            return "Busy Here";
        case 487:
            return "Request Terminated";
        case 488:
            return "Not Acceptable Here";
        case 491:
            return "Request Pending";
        case 493:
            return "Undecipherable";
        case 500:
            return "Server Internal Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Server Time-out";
        case 505:
            return "Version Not Supported";
        case 513:
            return "Message Too Large";
        case 600:
            return "Busy Everywhere";
        case 603:
            return "Decline";
        case 604:
            return "Does Not Exist Anywhere";
        case 606:
            return "Not Acceptable";
        default:
            break;
    }
    switch (status / 100) {
        case 1:
            return "Progress";
        case 2:
            return "OK";
        case 3:
            return "Redirection";
        case 4:
            return "Client Error";
        case 5:
            return "Server Error";
        default:
            return "Global Failure";
    }
}

std::string_view localToTag(SipMsg& req, char out[16]) {
    uint64_t h = hash::kFnv64Offset ^ kTagSalt;
    for (HeaderKind k : {HeaderKind::CallId, HeaderKind::From, HeaderKind::CSeq}) {
        if (HeaderField* f = findHeader(req, k); f != nullptr)
            h = hash::fnv1a64("|", hash::fnv1a64(f->value, h));
    }
    if (req.topVia != nullptr) h = hash::fnv1a64(req.topVia->branch, h);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    for (int i = 15; i >= 0; --i) {
        out[i] = kHexDigits[h & 15];
        h >>= 4;
    }
    return std::string_view(out, 16);
}

BuildError buildReply(SipMsg& req, uint16_t status, std::string_view reason,
                      const ReplyOptions& opt, OutSpans& out) {
    out = OutSpans{};
    if (status < 100 || status > 699) return BuildError::BadStatus;
    if (!req.isRequest()) return BuildError::NotARequest;
    if (!isHeaderValue(opt.contentType) ||
        opt.extraHeaders.find("\n\r\n") != std::string_view::npos ||
        opt.extraHeaders.find("\n\n") != std::string_view::npos ||
        (!opt.extraHeaders.empty() && opt.extraHeaders.front() == '\r')) {
        return BuildError::BadHeader;  // an empty line would end the header section early
    }
    // Scan as far as the headers go; a broken line further on still leaves what came before.
    scanAllHeaders(req);
    uint32_t n = req.headerCount();
    uint32_t vias = 0, rrs = 0;
    HeaderField* firstVia = nullptr;
    HeaderField* from = nullptr;
    HeaderField* to = nullptr;
    HeaderField* callId = nullptr;
    HeaderField* cseq = nullptr;
    for (uint32_t i = 0; i < n; ++i) {
        HeaderField& h = req.header(i);
        switch (h.kind) {
            case HeaderKind::Via:
                if (++vias == 1) firstVia = &h;
                break;
            case HeaderKind::RecordRoute:
                ++rrs;
                break;
            case HeaderKind::From:
                if (from == nullptr) from = &h;
                break;
            case HeaderKind::To:
                if (to == nullptr) to = &h;
                break;
            case HeaderKind::CallId:
                if (callId == nullptr) callId = &h;
                break;
            case HeaderKind::CSeq:
                if (cseq == nullptr) cseq = &h;
                break;
            default:
                break;
        }
    }
    // The response goes where the top Via says (RFC 3261 §18.2.2): without a Via that parses
    // there is nowhere to send it. parseMsg has parsed it unless the start line failed.
    if (firstVia == nullptr) return BuildError::NoVia;
    const ViaBody* top = req.topVia != nullptr ? req.topVia : parseVia(req, *firstVia);
    if (top == nullptr) return BuildError::NoVia;
    bool copyRr = createsDialog(req, status);

    SpanList spans;
    // Status line, 2 edits per line of From/To/top Via (3 spans each), Call-ID, CSeq, extras,
    // Content-Type, Content-Length, body: 32 covers them with room to spare.
    spans.cap = 32 + vias + (copyRr ? rrs : 0);
    spans.iov = static_cast<iovec*>(req.arena.alloc(sizeof(iovec) * spans.cap));
    if (spans.iov == nullptr) return BuildError::OutOfMemory;

    // Status-Line (RFC 3261 §7.2).
    if (reason.empty() || !reasonIsClean(reason)) reason = defaultReasonPhrase(status);
    size_t slLen = 12 + reason.size() + 2;
    char* sl = static_cast<char*>(req.arena.alloc(slLen));
    if (sl == nullptr) return BuildError::OutOfMemory;
    std::memcpy(sl, "SIP/2.0 ", 8);
    sl[8] = static_cast<char>('0' + status / 100);
    sl[9] = static_cast<char>('0' + status / 10 % 10);
    sl[10] = static_cast<char>('0' + status % 10);
    sl[11] = ' ';
    std::memcpy(sl + 12, reason.data(), reason.size());
    std::memcpy(sl + 12 + reason.size(), "\r\n", 2);
    spans.add(sl, slLen);

    // Via lines in order; the first carries received/rport (RFC 3261 §18.2.1).
    RangeEdit viaEdits[kMaxReceivedEdits];
    int viaEditCount = 0;
    if (!opt.srcIp.empty()) {
        BuildError e = receivedEdits(req, *top, opt.srcIp, opt.srcPort, viaEdits, &viaEditCount);
        if (e != BuildError::Ok) return e;
    }
    for (uint32_t i = 0; i < n; ++i) {
        HeaderField& h = req.header(i);
        if (h.kind != HeaderKind::Via) continue;
        addLine(spans, req, h, viaEdits, &h == firstVia ? viaEditCount : 0);
    }
    if (copyRr) {
        for (uint32_t i = 0; i < n; ++i) {
            const HeaderField& h = req.header(i);
            if (h.kind == HeaderKind::RecordRoute)
                spans.add(req.data.data() + h.start, h.end - h.start);
        }
    }
    if (from != nullptr) {
        RangeEdit e;
        addLine(spans, req, *from, &e, displayNameEdit(req, *from, &e) ? 1 : 0);
    }
    if (to != nullptr) {
        RangeEdit e[2];
        int ne = displayNameEdit(req, *to, &e[0]) ? 1 : 0;
        const FromToBody* body = parseFromTo(req, *to);
        if (status > 100 && (body == nullptr || body->tag.empty())) {
            char tagBuf[16];
            std::string_view tag = opt.toTag.empty() ? localToTag(req, tagBuf) : opt.toTag;
            if (!isHeaderValue(tag)) return BuildError::BadHeader;
            char* t = static_cast<char*>(req.arena.alloc(5 + tag.size()));
            if (t == nullptr) return BuildError::OutOfMemory;
            std::memcpy(t, ";tag=", 5);
            std::memcpy(t + 5, tag.data(), tag.size());
            e[ne].start = e[ne].end = headerValueEnd(req, *to);
            e[ne].text = std::string_view(t, 5 + tag.size());
            ++ne;
        }
        addLine(spans, req, *to, e, ne);
    }
    for (HeaderField* h : {callId, cseq}) {
        if (h != nullptr) spans.add(req.data.data() + h->start, h->end - h->start);
    }

    spans.add(opt.extraHeaders);
    if (!opt.extraHeaders.empty() && opt.extraHeaders.back() != '\n') spans.add("\r\n");
    if (!opt.body.empty() && !opt.contentType.empty()) {
        spans.add("Content-Type: ");
        spans.add(opt.contentType);
        spans.add("\r\n");
    }
    char* cl = static_cast<char*>(req.arena.alloc(16 + 20 + 4));
    if (cl == nullptr) return BuildError::OutOfMemory;
    std::memcpy(cl, "Content-Length: ", 16);
    size_t clLen = 16 + formatDecimal(opt.body.size(), cl + 16);
    std::memcpy(cl + clLen, "\r\n\r\n", 4);
    spans.add(cl, clLen + 4);
    spans.add(opt.body);

    out.iov = spans.iov;
    out.count = spans.count;
    out.bytes = spans.bytes;
    return BuildError::Ok;
}

}  // namespace osprey::sip
