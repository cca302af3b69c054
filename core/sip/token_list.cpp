// Comma-separated lists of tokens (with optional parameters, and "type/subtype" media ranges
// for Accept): Require, Proxy-Require, Supported, Unsupported, Allow, Allow-Events, Accept*,
// Content-Encoding, Content-Language, Privacy (RFC 3261 §20.1-§20.5, §20.29, §20.32, ...).
#include "core/sip/token_list.h"

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/param_scan.h"

namespace osprey::sip {

using namespace lex;

const TokenList* parseTokenList(SipMsg& msg, HeaderField& h) {
    const TokenList* cached;
    if (cachedBody(h, cached)) return cached;
    const std::string_view s = h.value;
    TokenList* l = msg.arena.make<TokenList>();
    if (!l) {
        outOfMemory(msg, h);
        return nullptr;
    }
    if (s.empty()) {  // "Supported:" with no option tags is legal
        h.body = l;
        h.state = BodyState::Parsed;
        return l;
    }
    // Items go to a small local array first and to the arena once their number is known;
    // only a longer list pays for counting its commas up front.
    // Plain pointer/length pairs, left uninitialised: an array of string_view would be zeroed
    // (512 octets) on every call.
    struct Item {
        const char* p;
        size_t n;
        operator std::string_view() const { return {p, n}; }
    };
    constexpr size_t kLocal = 32;
    Item local[kLocal];
    std::string_view* items = nullptr;  // the arena array, once there is one
    size_t maxItems = kLocal;
    const bool media = h.kind == HeaderKind::Accept;
    size_t p = 0;
    ParseError err;
    std::string_view raw;
    for (;;) {
        const size_t ts = p;
        size_t te = scanWhile(s, ts, kToken);
        if (te == ts) {
            headerFail(msg, h, ParseErrc::BadValue, "expected a token, got '%1'", ts,
                       s.substr(ts, 1));
            return nullptr;
        }
        if (media) {  // media-range: type SLASH subtype (RFC 3261 §20.1)
            size_t sl = skipLws(s, te);
            if (sl >= s.size() || s[sl] != '/') {
                headerFail(msg, h, ParseErrc::BadValue, "expected '/' in media range", sl);
                return nullptr;
            }
            size_t ss = skipLws(s, sl + 1);
            te = scanWhile(s, ss, kToken);
            if (te == ss) {
                headerFail(msg, h, ParseErrc::BadValue, "missing media subtype", ss);
                return nullptr;
            }
        }
        std::string_view item = s.substr(ts, te - ts);
        if (l->count == maxItems && items == nullptr) {
            maxItems = 1;
            for (char c : s) maxItems += c == ',';
            items = msg.arena.makeArray<std::string_view>(maxItems);
            if (!items) {
                outOfMemory(msg, h);
                return nullptr;
            }
            for (size_t i = 0; i < kLocal; ++i) items[i] = local[i];
        }
        if (l->count < maxItems) {
            if (items)
                items[l->count++] = item;
            else
                local[l->count++] = Item{item.data(), item.size()};
        }
        if (h.kind == HeaderKind::Allow) {
            Method m = methodFromText(item);
            if (m != Method::Other) l->methods |= methodBit(m);
        }
        p = te;
        if (!scanParams(s, p, raw, err,
                        [](std::string_view, std::string_view, bool, size_t) { return true; })) {
            headerFail(msg, h, err);
            return nullptr;
        }
        p = skipLws(s, p);
        if (p >= s.size()) break;
        if (s[p] != ',') {
            headerFail(msg, h, ParseErrc::BadValue, "unexpected '%1' in list", p, s.substr(p, 1));
            return nullptr;
        }
        p = skipLws(s, p + 1);
    }
    if (items == nullptr && l->count > 0) {
        items = msg.arena.makeArray<std::string_view>(l->count);
        if (!items) {
            outOfMemory(msg, h);
            return nullptr;
        }
        for (size_t i = 0; i < l->count; ++i) items[i] = local[i];
    }
    l->items = items;
    h.body = l;
    h.state = BodyState::Parsed;
    return l;
}

bool tokenListHas(const TokenList& l, std::string_view token) {
    for (uint32_t i = 0; i < l.count; ++i)
        if (equalsNoCase(l.items[i], token)) return true;
    return false;
}

}  // namespace osprey::sip
