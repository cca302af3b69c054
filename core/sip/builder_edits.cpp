// MsgBuilder's SIP-level edits: headers, Request-URI, Via, Record-Route, Max-Forwards,
// received/rport, body. Each becomes one or two raw edits (builder.cpp).
#include <cstring>

#include "core/sip/builder.h"
#include "core/sip/builder_sanitize.h"
#include "core/sip/builder_via.h"
#include "core/sip/number_header.h"
#include "core/sip/sip_lex.h"
#include "core/sip/uri_chars.h"
#include "core/sip/via.h"

namespace osprey::sip {

namespace {

bool isLws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

bool MsgBuilder::touched(uint32_t start, uint32_t end) const {
    for (uint32_t i = 0; i < count_; ++i) {
        const Edit& e = edits_[i];
        if (e.start < end && start < e.end) return true;
        if (e.start == e.end && start < e.start && e.start < end) return true;
    }
    return false;
}

bool MsgBuilder::removedWhole(uint32_t start, uint32_t end) const {
    for (uint32_t i = 0; i < count_; ++i) {
        if (edits_[i].start == start && edits_[i].end == end && edits_[i].len == 0) return true;
    }
    return false;
}

BuildError MsgBuilder::appendHeader(std::string_view name, std::string_view value) {
    if (!scanAllHeaders(msg_)) return BuildError::Unparsed;
    return insertHeaderAt(headersEnd(), name, value);
}

BuildError MsgBuilder::prependHeader(std::string_view name, std::string_view value) {
    uint32_t pos = msg_.headerCount() > 0 ? msg_.header(0).start : headersEnd();
    return insertHeaderAt(pos, name, value);
}

BuildError MsgBuilder::insertHeaderBefore(const HeaderField& h, std::string_view name,
                                          std::string_view value) {
    return insertHeaderAt(h.start, name, value);
}

BuildError MsgBuilder::removeHeader(const HeaderField& h) {
    return removeRange(h.start, h.end);
}

BuildError MsgBuilder::removeHeaders(HeaderKind k) {
    for (HeaderField* h = findHeader(msg_, k); h != nullptr; h = nextHeader(msg_, *h)) {
        if (BuildError e = removeHeader(*h); e != BuildError::Ok) return e;
    }
    return BuildError::Ok;
}

BuildError MsgBuilder::removeHeadersByName(std::string_view name) {
    HeaderKind k = lookupHeaderKind(name);
    if (k != HeaderKind::Other) return removeHeaders(k);
    if (!scanAllHeaders(msg_)) return BuildError::Unparsed;
    for (uint32_t i = 0; i < msg_.headerCount(); ++i) {
        HeaderField& h = msg_.header(i);
        if (h.kind == HeaderKind::Other && lex::equalsNoCase(h.name, name)) {
            if (BuildError e = removeHeader(h); e != BuildError::Ok) return e;
        }
    }
    return BuildError::Ok;
}

BuildError MsgBuilder::replaceHeaderValue(const HeaderField& h, std::string_view value) {
    if (!isHeaderValue(value)) return BuildError::BadHeader;
    uint32_t end = headerValueEnd(msg_, h);
    uint32_t start = h.value.empty() ? end : msg_.offsetOf(h.value);
    // An empty old value sits right after the colon: keep a space between them.
    if (h.value.empty() && !value.empty() && msg_.data[end - 1] == ':') {
        char* p = static_cast<char*>(msg_.arena.alloc(value.size() + 1));
        if (p == nullptr) return BuildError::OutOfMemory;
        p[0] = ' ';
        std::memcpy(p + 1, value.data(), value.size());
        return addEdit(start, end, std::string_view(p, value.size() + 1), false);
    }
    return addEdit(start, end, value);
}

BuildError MsgBuilder::removeListValue(const HeaderField& h, std::string_view valueText) {
    uint32_t lineValueStart = h.value.empty() ? headerValueEnd(msg_, h) : msg_.offsetOf(h.value);
    uint32_t lineValueEnd = headerValueEnd(msg_, h);
    uint32_t vs = msg_.offsetOf(valueText);
    uint32_t ve = vs + static_cast<uint32_t>(valueText.size());
    if (vs < lineValueStart || ve > lineValueEnd) return BuildError::BadRange;
    std::string_view d = msg_.data;
    // A following value: remove up to its start ("a, b" -> "b").
    uint32_t i = ve;
    while (i < lineValueEnd && isLws(d[i])) ++i;
    if (i < lineValueEnd && d[i] == ',') {
        ++i;
        while (i < lineValueEnd && isLws(d[i])) ++i;
        return removeRange(vs, i);
    }
    // A preceding value: remove from its comma ("a, b" -> "a").
    uint32_t j = vs;
    while (j > lineValueStart && isLws(d[j - 1])) --j;
    if (j > lineValueStart && d[j - 1] == ',') {
        --j;
        while (j > lineValueStart && isLws(d[j - 1])) --j;
        return removeRange(j, ve);
    }
    return removeHeader(h);  // the only value
}

BuildError MsgBuilder::setRequestUri(std::string_view uri) {
    if (!msg_.isRequest()) return BuildError::NotARequest;
    // The request line is rewritten once, at build(); before that a second call simply wins.
    if (lineFinished_) return BuildError::Overlap;
    SipUri parsed;
    if (uri.empty() || parseUri(uri, parsed) != UriError::Ok) return BuildError::BadUri;
    std::string_view clean = uriWithoutHeaders(parsed);
    const char* copy = copyText(clean);
    if (copy == nullptr) return BuildError::OutOfMemory;
    newRuri_ = std::string_view(copy, clean.size());
    ruriSet_ = true;
    return BuildError::Ok;
}

BuildError MsgBuilder::decrementMaxForwards(uint32_t absentValue) {
    if (!msg_.isRequest()) return BuildError::NotARequest;
    HeaderField* h = findHeader(msg_, HeaderKind::MaxForwards);
    if (h == nullptr) {
        if (!msg_.headersComplete()) return BuildError::Unparsed;
        char num[24];
        size_t n = formatDecimal(absentValue, num);
        return appendHeader("Max-Forwards", std::string_view(num, n));
    }
    const NumberBody* mf = parseNumberHeader(msg_, *h);
    if (mf == nullptr) return BuildError::Unparsed;
    if (mf->value == 0) return BuildError::TooManyHops;
    char num[24];
    size_t n = formatDecimal(mf->value - 1, num);
    return replaceHeaderValue(*h, std::string_view(num, n));
}

BuildError MsgBuilder::addRecordRoute(std::string_view value) {
    if (HeaderField* rr = findHeader(msg_, HeaderKind::RecordRoute); rr != nullptr) {
        return insertHeaderAt(rr->start, "Record-Route", value);
    }
    if (!msg_.headersComplete()) return BuildError::Unparsed;
    return prependHeader("Record-Route", value);
}

BuildError MsgBuilder::pushVia(std::string_view value) {
    if (HeaderField* via = findHeader(msg_, HeaderKind::Via); via != nullptr) {
        return insertHeaderAt(via->start, "Via", value);
    }
    if (!msg_.headersComplete()) return BuildError::Unparsed;
    return prependHeader("Via", value);
}

BuildError MsgBuilder::popVia() {
    HeaderField* h = findHeader(msg_, HeaderKind::Via);
    if (h == nullptr || msg_.topVia == nullptr) return BuildError::NoVia;
    return removeListValue(*h, msg_.topVia->text);
}

BuildError MsgBuilder::addReceived(std::string_view srcIp, uint16_t srcPort) {
    if (msg_.topVia == nullptr) return BuildError::NoVia;
    RangeEdit edits[kMaxReceivedEdits];
    int n = 0;
    if (BuildError e = receivedEdits(msg_, *msg_.topVia, srcIp, srcPort, edits, &n);
        e != BuildError::Ok) {
        return e;
    }
    for (int i = 0; i < n; ++i) {
        BuildError e = addEdit(edits[i].start, edits[i].end, edits[i].text, false);
        if (e != BuildError::Ok) return e;
    }
    return BuildError::Ok;
}

BuildError MsgBuilder::setBody(std::string_view body, std::string_view contentType) {
    if (bodySet_) return BuildError::Overlap;
    if (!scanAllHeaders(msg_)) return BuildError::Unparsed;
    if (!msg_.bodyFound && !findBody(msg_)) return BuildError::Unparsed;
    if (!contentType.empty()) {
        BuildError e;
        if (HeaderField* ct = findHeader(msg_, HeaderKind::ContentType); ct != nullptr) {
            e = replaceHeaderValue(*ct, contentType);
        } else {
            e = appendHeader("Content-Type", contentType);
        }
        if (e != BuildError::Ok) return e;
    }
    uint32_t start = msg_.bodyStart;
    uint32_t end = start + static_cast<uint32_t>(msg_.body.size());
    const char* copy = copyText(body);
    if (copy == nullptr) return BuildError::OutOfMemory;
    if (BuildError e = addEdit(start, end, std::string_view(copy, body.size()), false);
        e != BuildError::Ok) {
        return e;
    }
    newBody_ = std::string_view(copy, body.size());
    bodySet_ = true;
    return BuildError::Ok;
}

// RFC 4475 3.1.2.15: a display name that is not a token list or one quoted string is quoted
// rather than passed on. Headers the caller already rewrote are left to the caller.
BuildError MsgBuilder::repairDisplayNames() {
    for (HeaderKind k : {HeaderKind::From, HeaderKind::To}) {
        HeaderField* h = findHeader(msg_, k);
        if (h == nullptr || h->value.empty()) continue;
        size_t b = 0, e = 0;
        DisplayNameCheck c = checkDisplayName(h->value, &b, &e);
        if (c == DisplayNameCheck::Fine) continue;
        uint32_t vs = msg_.offsetOf(h->value);
        if (touched(h->start, h->end)) continue;
        if (c == DisplayNameCheck::Bad) return BuildError::BadDisplayName;
        std::string_view dn = h->value.substr(b, e - b);
        char* p = static_cast<char*>(msg_.arena.alloc(quotedDisplayNameSize(dn)));
        if (p == nullptr) return BuildError::OutOfMemory;
        size_t n = quoteDisplayName(dn, p);
        BuildError err = addEdit(vs + static_cast<uint32_t>(b), vs + static_cast<uint32_t>(e),
                                 std::string_view(p, n), false);
        if (err != BuildError::Ok) return err;
    }
    return BuildError::Ok;
}

}  // namespace osprey::sip
