// Internal: the header-name hash table behind lookupHeaderKind, inline so the header scanner
// (msg_parse.cpp) classifies each name without a call. A compile-time open-addressing table
// keyed by the name's first 8 octets (case-folded) and its length: one hash, usually one
// compare.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/sip/header_kind.h"

namespace osprey::sip::kindtab {

struct NameEntry {
    std::string_view name;  // lower case
    HeaderKind kind;
};

using K = HeaderKind;

// Full names, then compact forms: RFC 3261 §7.3.3 (v f t i m l c k s e), RFC 3265/6665 (o u),
// RFC 3515 (r), RFC 3892 (b), RFC 4028 (x), RFC 4474 (y n), RFC 3841 (a j d).
constexpr NameEntry kNames[] = {
    {"via", K::Via},
    {"from", K::From},
    {"to", K::To},
    {"call-id", K::CallId},
    {"cseq", K::CSeq},
    {"max-forwards", K::MaxForwards},
    {"content-length", K::ContentLength},
    {"content-type", K::ContentType},
    {"expires", K::Expires},
    {"contact", K::Contact},
    {"route", K::Route},
    {"record-route", K::RecordRoute},
    {"path", K::Path},
    {"require", K::Require},
    {"proxy-require", K::ProxyRequire},
    {"supported", K::Supported},
    {"unsupported", K::Unsupported},
    {"authorization", K::Authorization},
    {"proxy-authorization", K::ProxyAuthorization},
    {"www-authenticate", K::WwwAuthenticate},
    {"proxy-authenticate", K::ProxyAuthenticate},
    {"event", K::Event},
    {"allow", K::Allow},
    {"user-agent", K::UserAgent},
    {"server", K::Server},
    {"accept", K::Accept},
    {"accept-encoding", K::AcceptEncoding},
    {"accept-language", K::AcceptLanguage},
    {"allow-events", K::AllowEvents},
    {"alert-info", K::AlertInfo},
    {"call-info", K::CallInfo},
    {"content-disposition", K::ContentDisposition},
    {"content-encoding", K::ContentEncoding},
    {"content-language", K::ContentLanguage},
    {"date", K::Date},
    {"error-info", K::ErrorInfo},
    {"in-reply-to", K::InReplyTo},
    {"mime-version", K::MimeVersion},
    {"min-expires", K::MinExpires},
    {"organization", K::Organization},
    {"priority", K::Priority},
    {"reply-to", K::ReplyTo},
    {"retry-after", K::RetryAfter},
    {"subject", K::Subject},
    {"timestamp", K::Timestamp},
    {"warning", K::Warning},
    {"authentication-info", K::AuthenticationInfo},
    {"refer-to", K::ReferTo},
    {"referred-by", K::ReferredBy},
    {"session-expires", K::SessionExpires},
    {"min-se", K::MinSE},
    {"p-asserted-identity", K::PAssertedIdentity},
    {"p-preferred-identity", K::PPreferredIdentity},
    {"privacy", K::Privacy},
    {"subscription-state", K::SubscriptionState},
    {"diversion", K::Diversion},
    {"reason", K::Reason},
    {"identity", K::Identity},
    {"identity-info", K::IdentityInfo},
    {"accept-contact", K::AcceptContact},
    {"reject-contact", K::RejectContact},
    {"request-disposition", K::RequestDisposition},
    // compact forms
    {"v", K::Via},
    {"f", K::From},
    {"t", K::To},
    {"i", K::CallId},
    {"m", K::Contact},
    {"l", K::ContentLength},
    {"c", K::ContentType},
    {"k", K::Supported},
    {"s", K::Subject},
    {"e", K::ContentEncoding},
    {"o", K::Event},
    {"u", K::AllowEvents},
    {"r", K::ReferTo},
    {"b", K::ReferredBy},
    {"x", K::SessionExpires},
    {"y", K::Identity},
    {"n", K::IdentityInfo},
    {"a", K::AcceptContact},
    {"j", K::RejectContact},
    {"d", K::RequestDisposition},
};

// A name's first (up to) 8 octets packed little-endian into a word, letters lowered by
// OR-ing 0x20 (names are tokens: that lowers letters and maps no other token octet onto a
// letter or '-', so equal keys mean equal names up to case).
constexpr uint64_t packLiteral(std::string_view n) {
    uint64_t k = 0;
    for (size_t i = 0; i < n.size() && i < 8; ++i)
        k |= uint64_t(static_cast<unsigned char>(n[i])) << (8 * i);
    return k;
}

inline uint64_t load8(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
inline uint32_t load4(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
inline uint16_t load2(const char* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// Reads only inside the name (overlapping loads for lengths that are not a power of two).
inline uint64_t packName(const char* p, size_t n) {
    uint64_t k;
    if (n >= 8) {
        k = load8(p);
    } else if (n >= 4) {
        k = load4(p) | (uint64_t(load4(p + n - 4)) << (8 * (n - 4)));
    } else if (n >= 2) {
        k = load2(p) | (uint64_t(load2(p + n - 2)) << (8 * (n - 2)));
    } else {
        k = static_cast<unsigned char>(p[0]);
    }
    const uint64_t lowerBits = 0x2020202020202020ull;
    return k | (n >= 8 ? lowerBits : (lowerBits & ((uint64_t{1} << (8 * n)) - 1)));
}

constexpr unsigned kSlots = 256;  // power of two, well above the ~83 names

constexpr unsigned slotOf(uint64_t key, size_t len) {
    return static_cast<unsigned>(((key ^ len) * 0x9E3779B97F4A7C15ull) >> 56) & (kSlots - 1);
}

struct Slot {
    uint64_t key = 0;
    uint8_t len = 0;  // 0: empty
    HeaderKind kind = HeaderKind::Other;
    const char* name = nullptr;  // lower case, for names longer than 8
};

constexpr std::array<Slot, kSlots> makeSlots() {
    std::array<Slot, kSlots> t{};
    for (const NameEntry& e : kNames) {
        uint64_t key = packLiteral(e.name);
        unsigned h = slotOf(key, e.name.size());
        while (t[h].len != 0) h = (h + 1) & (kSlots - 1);
        t[h] = Slot{key, static_cast<uint8_t>(e.name.size()), e.kind, e.name.data()};
    }
    return t;
}

inline constexpr std::array<Slot, kSlots> kSlotTable = makeSlots();

// lookupHeaderKind (header_kind.h), inline.
[[gnu::always_inline]] inline HeaderKind lookup(const char* name, size_t n) {
    if (n == 0 || n > 24) return HeaderKind::Other;
    const uint64_t key = packName(name, n);
    for (unsigned h = slotOf(key, n);; h = (h + 1) & (kSlots - 1)) {
        const Slot& s = kSlotTable[h];
        if (s.len == 0) return HeaderKind::Other;
        if (s.key != key || s.len != n) continue;
        if (n <= 8) return s.kind;
        // The rest in 8-octet steps, the last one overlapping.
        constexpr uint64_t kLower = 0x2020202020202020ull;
        size_t i = 8;
        for (; i + 8 <= n; i += 8)
            if ((load8(name + i) | kLower) != load8(s.name + i)) break;
        if (i + 8 <= n) continue;
        if (i == n || (load8(name + n - 8) | kLower) == load8(s.name + n - 8)) return s.kind;
    }
}

// --- common names, matched with their colon before any token scan -------------------------
//
// Most messages spell the dozen most frequent names exactly ("Via:", "Call-ID:"), so the
// scanner first compares the line's first 16 octets with those spellings, picked by the first
// letter. Letters compare case-insensitively (OR 0x20 only where the literal has a letter,
// so no other octet can fold onto one); the ':' must follow at once. Anything else (LWS
// before the colon, rarer names) takes the token scan and the hash lookup above.
struct Common {
    uint64_t lo, hi;          // lower-case "name:" packed little-endian, zero padded
    uint64_t foldLo, foldHi;  // 0x20 at letter positions
    uint64_t keepHi;          // 0xff over the octets of hi that belong to "name:"
    uint64_t keepLo;
    uint8_t len;              // name length without the colon
    HeaderKind kind;
};

constexpr Common makeCommon(std::string_view lowerName, HeaderKind kind) {
    Common c{};
    const size_t n = lowerName.size() + 1;  // with ':'
    for (size_t i = 0; i < n; ++i) {
        const char ch = i < lowerName.size() ? lowerName[i] : ':';
        const uint64_t oct = static_cast<unsigned char>(ch);
        const uint64_t fold = (ch >= 'a' && ch <= 'z') ? 0x20 : 0;
        const unsigned sh = 8 * (i % 8);
        if (i < 8) {
            c.lo |= oct << sh;
            c.foldLo |= fold << sh;
            c.keepLo |= uint64_t{0xff} << sh;
        } else {
            c.hi |= oct << sh;
            c.foldHi |= fold << sh;
            c.keepHi |= uint64_t{0xff} << sh;
        }
    }
    c.len = static_cast<uint8_t>(lowerName.size());
    c.kind = kind;
    return c;
}

// Grouped by first letter, most frequent first within a group.
inline constexpr Common kCommon[] = {
    makeCommon("via", K::Via),
    makeCommon("v", K::Via),
    makeCommon("from", K::From),
    makeCommon("f", K::From),
    makeCommon("to", K::To),
    makeCommon("t", K::To),
    makeCommon("call-id", K::CallId),
    makeCommon("cseq", K::CSeq),
    makeCommon("contact", K::Contact),
    makeCommon("content-length", K::ContentLength),
    makeCommon("content-type", K::ContentType),
    makeCommon("c", K::ContentType),
    makeCommon("max-forwards", K::MaxForwards),
    makeCommon("m", K::Contact),
    makeCommon("route", K::Route),
    makeCommon("record-route", K::RecordRoute),
    makeCommon("allow", K::Allow),
    makeCommon("accept", K::Accept),
    makeCommon("supported", K::Supported),
    makeCommon("k", K::Supported),
    makeCommon("user-agent", K::UserAgent),
    makeCommon("i", K::CallId),
    makeCommon("l", K::ContentLength),
    makeCommon("expires", K::Expires),
};

struct CommonRange {
    uint8_t first = 0, count = 0;
};

// (first letter | 0x20) & 31 -> the run of kCommon entries starting with that letter.
constexpr std::array<CommonRange, 32> makeCommonIndex() {
    std::array<CommonRange, 32> t{};
    for (size_t i = 0; i < std::size(kCommon); ++i) {
        const unsigned l = static_cast<unsigned>(kCommon[i].lo & 0xff) & 31;
        if (t[l].count == 0) t[l].first = static_cast<uint8_t>(i);
        ++t[l].count;
    }
    return t;
}

inline constexpr std::array<CommonRange, 32> kCommonIndex = makeCommonIndex();

// Each letter's entries are contiguous in kCommon (makeCommonIndex relies on it).
constexpr bool commonGrouped() {
    for (size_t i = 0; i < std::size(kCommon); ++i) {
        const unsigned l = static_cast<unsigned>(kCommon[i].lo & 0xff) & 31;
        const CommonRange r = makeCommonIndex()[l];
        if (i < r.first || i >= size_t{r.first} + r.count) return false;
    }
    return true;
}
static_assert(commonGrouped());

// p has at least 16 readable octets. Returns the name length (the ':' is at p[len]) and sets
// kind, or returns 0 when the line does not start with one of kCommon's spellings.
[[gnu::always_inline]] inline size_t matchCommon(const char* p, HeaderKind& kind) {
    const unsigned char c0 = static_cast<unsigned char>(p[0]) | 0x20;
    if (c0 < 'a' || c0 > 'z') return 0;
    const CommonRange r = kCommonIndex[c0 & 31];
    if (r.count == 0) return 0;
    const uint64_t lo = load8(p);
    const uint64_t hi = load8(p + 8);
    for (unsigned i = r.first; i < unsigned{r.first} + r.count; ++i) {
        const Common& e = kCommon[i];
        if ((((lo & e.keepLo) | e.foldLo) == e.lo) && (((hi & e.keepHi) | e.foldHi) == e.hi)) {
            kind = e.kind;
            return e.len;
        }
    }
    return 0;
}

}  // namespace osprey::sip::kindtab
