// The lazy part of the parser: start line (RFC 3261 §7.1, §7.2), the header scanner that
// splits header lines (§7.3, folding per §7.3.1) one at a time, and the entry points that
// scan only as far as the caller's header mask requires.
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/sip/header_error.h"
#include "core/sip/header_kind_table.h"
#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"
#include "core/sip/via.h"

namespace osprey::sip {

using namespace lex;

namespace {

bool startFail(SipMsg& msg, ParseErrc code, const char* detail, size_t offset,
               std::string_view got = {}) {
    ParseError e;
    e.code = code;
    e.offset = static_cast<uint32_t>(offset);
    e.detail = detail;
    e.got = got;
    return msg.fail(e);
}

// "SIP/" in any case: OR-ing 0x20 into the three letter octets only (nothing else folds onto
// a letter), the '/' compared exactly.
bool startsSipSlash(std::string_view v) {
    if (v.size() < 4) return false;
    uint32_t w;
    std::memcpy(&w, v.data(), 4);
    return (w | 0x00202020u) == 0x2f706973u;  // "sip/" little-endian
}

bool isSipVersion(std::string_view v) {
    return v.size() == 7 && startsSipSlash(v) && v.substr(4) == "2.0";
}

bool parseRequestLine(SipMsg& msg, std::string_view line, size_t base) {
    StartLine& sl = msg.start;
    sl.isRequest = true;
    size_t sp1 = scanWhile(line, 0, kToken);
    if (sp1 == 0 || sp1 == line.size() || line[sp1] != ' ') {
        if (sp1 == line.size())
            return startFail(msg, ParseErrc::BadStartLine, "no Request-URI", base);
        return startFail(msg, ParseErrc::BadMethod, "illegal character '%1' in method", base + sp1,
                         line.substr(sp1, 1));
    }
    sl.methodText = line.substr(0, sp1);
    sl.method = methodFromText(sl.methodText);
    size_t last = line.rfind(' ');
    if (last == sp1)
        return startFail(msg, ParseErrc::BadStartLine, "no SIP version after Request-URI",
                         base + line.size());
    sl.version = line.substr(last + 1);
    sl.uri = line.substr(sp1 + 1, last - sp1 - 1);
    if (sl.version.empty())
        return startFail(msg, ParseErrc::RequestLineSpaces, "trailing whitespace after SIP version",
                         base + last);
    if (sl.uri.empty() || sl.uri.front() == ' ' || sl.uri.back() == ' ')
        return startFail(msg, ParseErrc::RequestLineSpaces,
                         "more than one SP between request line elements", base + sp1 + 1);
    if (!isSipVersion(sl.version)) {
        if (startsSipSlash(sl.version))
            return startFail(msg, ParseErrc::BadVersion, "unsupported version '%1'",
                             base + last + 1, sl.version);
        return startFail(msg, ParseErrc::BadStartLine, "'%1' is not a SIP version", base + last + 1,
                         sl.version);
    }
    const std::string_view u = sl.uri;
    const size_t ubase = base + sp1 + 1;
    if (const size_t i = scanUriChars(u, 0); i < u.size()) {
        const char c = u[i];
        if (c == ' ' || c == '\t')
            return startFail(msg, ParseErrc::BadRequestUri, "whitespace inside Request-URI",
                             ubase + i);
        if (i == 0 && c == '<')
            return startFail(msg, ParseErrc::BadRequestUri, "Request-URI enclosed in <>", ubase);
        return startFail(msg, ParseErrc::BadRequestUri, "illegal character '%1' in Request-URI",
                         ubase + i, u.substr(i, 1));
    }
    size_t colon = scanWhile(u, 0, kScheme);
    if (colon == 0 || colon >= u.size() || u[colon] != ':' || !is(u[0], kAlpha))
        return startFail(msg, ParseErrc::BadRequestUri, "Request-URI has no scheme", ubase);
    return true;
}

bool parseStatusLine(SipMsg& msg, std::string_view line, size_t base) {
    StartLine& sl = msg.start;
    sl.isRequest = false;
    size_t sp = line.find(' ');
    sl.version = line.substr(0, sp);
    if (!isSipVersion(sl.version))
        return startFail(msg, ParseErrc::BadVersion, "unsupported version '%1'", base, sl.version);
    if (sp == std::string_view::npos)
        return startFail(msg, ParseErrc::BadStatusCode, "no status code", base + line.size());
    size_t d = sp + 1;
    size_t de = scanWhile(line, d, kDigit);
    std::string_view code = line.substr(d, de - d);
    if (code.size() != 3 || (de < line.size() && line[de] != ' '))
        return startFail(msg, ParseErrc::BadStatusCode, "status code '%1' is not three digits",
                         base + d, line.substr(d, line.find(' ', d) - d));
    unsigned v =
        static_cast<unsigned>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
    if (v < 100 || v > 699)
        return startFail(msg, ParseErrc::BadStatusCode, "status code %1 out of range 100-699",
                         base + d, code);
    sl.status = static_cast<uint16_t>(v);
    sl.reason = de < line.size() ? line.substr(de + 1) : line.substr(de, 0);
    for (size_t i = 0; i < sl.reason.size(); ++i) {
        if (is(sl.reason[i], kCtl))
            return startFail(msg, ParseErrc::BadReasonPhrase, "control character in reason phrase",
                             base + de + 1 + i);
    }
    return true;
}

bool parseStartLine(SipMsg& msg) {
    const std::string_view d = msg.data;
    size_t p = 0;
    // RFC 3261 §7.5: CRLFs before the start line are ignored.
    while (p < d.size() && (d[p] == '\r' || d[p] == '\n')) ++p;
    if (p == d.size()) return startFail(msg, ParseErrc::Empty, "no start line", p);
    const void* nl = std::memchr(d.data() + p, '\n', d.size() - p);
    if (!nl) return startFail(msg, ParseErrc::Truncated, "start line not terminated", d.size());
    size_t le = static_cast<size_t>(static_cast<const char*>(nl) - d.data());
    msg.scanPos = static_cast<uint32_t>(le + 1);
    if (le > p && d[le - 1] == '\r') --le;
    std::string_view line = d.substr(p, le - p);
    msg.start.text = line;
    if (startsSipSlash(line))
        return parseStatusLine(msg, line, p);
    return parseRequestLine(msg, line, p);
}

// Cold path of scanOne: looks at the header line at p again and records what is wrong with
// it. Kept out of line so the hot function stays small.
[[gnu::noinline, gnu::cold]] bool scanFail(SipMsg& msg, size_t p) {
    const char* b = msg.data.data();
    const size_t n = msg.data.size();
    if (p >= n)
        return startFail(msg, ParseErrc::Truncated,
                         "header section not terminated by an empty line", n);
    const char c = b[p];
    if (c == '\r') return startFail(msg, ParseErrc::BadLineEnding, "CR without LF", p);
    size_t q = scanWhile(msg.data, p, kToken);
    if (q == p) {
        if (c == ' ' || c == '\t')
            return startFail(msg, ParseErrc::BadHeaderName, "continuation line without a header",
                             p);
        return startFail(msg, ParseErrc::BadHeaderName, "illegal character '%1' in header name", p,
                         msg.data.substr(p, 1));
    }
    const std::string_view name(b + p, q - p);
    while (q < n && (b[q] == ' ' || b[q] == '\t')) ++q;
    ParseError e;
    e.header = name;
    e.kind = lookupHeaderKind(name);
    if (q >= n || b[q] == '\r' || b[q] == '\n') {
        e.code = q >= n ? ParseErrc::Truncated : ParseErrc::MissingColon;
        e.offset = static_cast<uint32_t>(q);
        e.detail = "header line has no ':'";
        return msg.fail(e);
    }
    if (b[q] != ':')
        return startFail(msg, ParseErrc::BadHeaderName, "illegal character '%1' in header name", q,
                         msg.data.substr(q, 1));
    e.code = ParseErrc::Truncated;
    e.offset = static_cast<uint32_t>(n);
    e.detail = "header not terminated";
    return msg.fail(e);
}

// First '\n' in b[i, n), or n. SSE2 (baseline on x86-64) compares 16 octets at a time; header
// lines are 20-80 octets, too short for a libc memchr call to pay for its setup.
inline size_t findLf(const char* b, size_t i, size_t n) {
#if defined(__SSE2__)
    const __m128i lf = _mm_set1_epi8('\n');
    for (; i + 16 <= n; i += 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
        const unsigned bits = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, lf)));
        if (bits) return i + static_cast<unsigned>(__builtin_ctz(bits));
    }
#endif
    for (; i < n; ++i)
        if (b[i] == '\n') return i;
    return n;
}

// Splits off the next header line at msg.scanPos, or finds the empty line ending the header
// section. The hot loop of the parser: one pass over the name, a vector search for the line
// end; every error goes to scanFail.
bool scanOne(SipMsg& msg) {
    const char* b = msg.data.data();
    const size_t n = msg.data.size();
    const size_t p = msg.scanPos;
    if (p >= n) [[unlikely]]
        return scanFail(msg, p);
    const char c = b[p];
    if (c == '\r' || c == '\n') {
        size_t q = p + 1;
        if (c == '\r') {
            if (q >= n || b[q] != '\n') return scanFail(msg, p);
            ++q;
        }
        msg.eoh = true;
        msg.bodyStart = static_cast<uint32_t>(q);
        msg.scanPos = static_cast<uint32_t>(q);
        return true;
    }
    HeaderKind kind = HeaderKind::Other;
    size_t q = n - p >= 16 ? p + kindtab::matchCommon(b + p, kind) : p;
    size_t nameEnd = q;
    if (q == p) {  // not a common spelling: scan the token, then look the name up
        q = scanWhile(msg.data, p, kToken);
        nameEnd = q;
        if (q < n && b[q] != ':') {
            while (q < n && (b[q] == ' ' || b[q] == '\t')) ++q;
        }
        if (q == p || q >= n || b[q] != ':') [[unlikely]]
            return scanFail(msg, p);
        kind = kindtab::lookup(b + p, nameEnd - p);
    }
    const size_t vs0 = q + 1;
    size_t e = findLf(b, vs0, n);
    if (e == n) [[unlikely]]
        return scanFail(msg, p);
    while (e + 1 < n && (b[e + 1] == ' ' || b[e + 1] == '\t')) {  // folded: value continues
        e = findLf(b, e + 1, n);
        if (e == n) return scanFail(msg, p);
    }
    size_t ve = e;
    while (ve > vs0 && is(b[ve - 1], kLws)) --ve;
    size_t vs = vs0;
    while (vs < ve && is(b[vs], kLws)) ++vs;

    HeaderField* h = msg.addHeader();
    if (!h) return false;
    h->name = std::string_view(b + p, nameEnd - p);
    h->value = std::string_view(b + vs, ve - vs);
    h->start = static_cast<uint32_t>(p);
    h->end = static_cast<uint32_t>(e + 1);
    h->kind = kind;
    h->state = BodyState::Unparsed;
    h->nextSame = kNoHeader;
    h->body = nullptr;
    const unsigned k = static_cast<unsigned>(kind);
    const uint16_t idx = static_cast<uint16_t>(msg.count - 1);
    const HeaderMask bit = HeaderMask{1} << k;
    if (msg.seen & bit) {
        msg.header(msg.lastOf[k]).nextSame = idx;
    } else {
        msg.firstOf[k] = idx;
        msg.seen |= bit;
    }
    msg.lastOf[k] = idx;
    msg.scanPos = static_cast<uint32_t>(e + 1);
    return true;
}

}  // namespace

bool parseMsg(SipMsg& msg, std::string_view data) {
    if (msg.data.data() != nullptr || msg.count != 0) msg.reset();
    msg.data = data;
    if (data.size() >= 0xfffffff0u)
        return startFail(msg, ParseErrc::MessageTooLarge, "message larger than 4 GB", 0);
    if (!parseStartLine(msg)) return false;
    while (!(msg.seen & HDR_VIA) && !msg.eoh) {
        if (!scanOne(msg)) return false;
    }
    if (msg.seen & HDR_VIA) {
        const ViaBody* v =
            parseVia(msg, msg.header(msg.firstOf[static_cast<unsigned>(HeaderKind::Via)]));
        if (!v) return false;
        msg.topVia = const_cast<ViaBody*>(v);
    }
    return true;
}

bool parseHeaders(SipMsg& msg, HeaderMask need) {
    if (msg.error) return false;
    const HeaderMask want = need & ~HDR_EOH;
    while (!msg.eoh && ((need & HDR_EOH) || (want & ~msg.seen))) {
        if (!scanOne(msg)) return false;
    }
    HeaderMask todo = want & msg.seen;
    while (todo) {
        unsigned k = static_cast<unsigned>(__builtin_ctzll(todo));
        todo &= todo - 1;
        HeaderField& h = msg.header(msg.firstOf[k]);
        if (h.state == BodyState::Unparsed) parseHeaderBody(msg, h);
        if (h.state == BodyState::Bad) return false;
    }
    return true;
}

HeaderField* findHeader(SipMsg& msg, HeaderKind k) {
    const HeaderMask bit = headerBit(k);
    while (!(msg.seen & bit) && !msg.eoh) {
        if (!scanOne(msg)) return nullptr;
    }
    return (msg.seen & bit) ? &msg.header(msg.firstOf[static_cast<unsigned>(k)]) : nullptr;
}

HeaderField* nextHeader(SipMsg& msg, const HeaderField& h) {
    if (h.nextSame != kNoHeader) return &msg.header(h.nextSame);
    // h is the last of its kind found so far: scanning links the next one to it.
    while (!msg.eoh) {
        if (!scanOne(msg)) return nullptr;
        if (h.nextSame != kNoHeader) return &msg.header(h.nextSame);
    }
    return nullptr;
}

HeaderField* findHeaderByName(SipMsg& msg, std::string_view name) {
    HeaderKind k = lookupHeaderKind(name);
    if (k != HeaderKind::Other) return findHeader(msg, k);
    for (uint32_t i = 0;; ++i) {
        while (i >= msg.count && !msg.eoh) {
            if (!scanOne(msg)) return nullptr;
        }
        if (i >= msg.count) return nullptr;
        HeaderField& h = msg.header(i);
        if (h.kind == HeaderKind::Other && equalsNoCase(h.name, name)) return &h;
    }
}

}  // namespace osprey::sip
