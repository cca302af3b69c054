// URI equality: RFC 3261 §19.1.4 for sip/sips, RFC 3966 §4 for tel. Works on parsed SipUri
// views; never allocates.
#include <cstring>

#include "core/sip/uri.h"
#include "core/sip/uri_chars.h"

namespace osprey::sip {

using namespace uri_chars;
using std::string_view;

namespace {

bool eqNoCase(string_view a, string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool nameEq(string_view a, string_view b) {
    if (a.size() == b.size() && eqNoCase(a, b)) return true;
    return equalEscaped(a, b, false);
}

// user, ttl, method, maddr and transport never match when only one URI has them (§19.1.4:
// "a URI omitting any component with a default value will not match ... the same is true
// for the transport-parameter, ttl-parameter, user-parameter, and method components";
// maddr by its own rule).
bool mustBeInBoth(string_view name) {
    return nameEq(name, "user") || nameEq(name, "ttl") || nameEq(name, "method") ||
           nameEq(name, "maddr") || nameEq(name, "transport");
}

// Finds `name` in a ';'/'&'-separated list; *value gets its value (empty for a flag).
bool findItem(string_view list, char sep, string_view name, string_view* value, bool* hasValue) {
    ItemIter it(list, sep);
    string_view n, v;
    bool hv = false;
    while (it.next(n, v, hv)) {
        if (nameEq(n, name)) {
            *value = v;
            *hasValue = hv;
            return true;
        }
    }
    return false;
}

bool valuesEqual(string_view name, string_view a, string_view b) {
    if (nameEq(name, "maddr")) return uriHostEquals(a, b);
    return equalEscaped(a, b, false);
}

// Every parameter present in both lists matches, and the must-be-in-both ones are in both.
bool sipParamsEqual(string_view pa, string_view pb) {
    ItemIter it(pa, ';');
    string_view name, va, vb;
    bool hasA = false, hasB = false;
    while (it.next(name, va, hasA)) {
        if (findItem(pb, ';', name, &vb, &hasB)) {
            if (hasA != hasB || !valuesEqual(name, va, vb)) return false;
        } else if (mustBeInBoth(name)) {
            return false;
        }
    }
    ItemIter back(pb, ';');
    while (back.next(name, vb, hasB)) {
        if (mustBeInBoth(name) && !findItem(pa, ';', name, &va, &hasA)) return false;
    }
    return true;
}

// Headers are never ignored: the same set on both sides, each with an equal value. Header
// values are compared exactly after unescaping; the per-header rules of §20 would only make
// more pairs equal, and a false "different" is the safe side for a router.
bool sipHeadersEqual(string_view ha, string_view hb) {
    size_t countA = 0, countB = 0;
    ItemIter it(ha, '&');
    string_view name, va, vb;
    bool hasA = false, hasB = false;
    while (it.next(name, va, hasA)) {
        ++countA;
        if (!findItem(hb, '&', name, &vb, &hasB) || !equalEscaped(va, vb, true)) return false;
    }
    ItemIter back(hb, '&');
    while (back.next(name, vb, hasB)) ++countB;
    return countA == countB;
}

// RFC 3966 §4: both global or both local, digits equal once visual separators are dropped,
// and the same set of parameters with values equal ignoring case.
bool telNumbersEqual(string_view a, string_view b) {
    size_t i = 0, j = 0;
    for (;;) {
        while (i < a.size() && is(a[i], kVisualSep)) ++i;
        while (j < b.size() && is(b[j], kVisualSep)) ++j;
        if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
        if (lower(a[i]) != lower(b[j])) return false;
        ++i;
        ++j;
    }
}

bool telParamsEqual(string_view pa, string_view pb) {
    size_t countA = 0, countB = 0;
    ItemIter it(pa, ';');
    string_view name, va, vb;
    bool hasA = false, hasB = false;
    while (it.next(name, va, hasA)) {
        ++countA;
        if (!findItem(pb, ';', name, &vb, &hasB) || hasA != hasB) return false;
        bool digits = !va.empty() && va.front() == '+';
        if (digits ? !telNumbersEqual(va, vb) : !equalEscaped(va, vb, false)) return false;
    }
    ItemIter back(pb, ';');
    while (back.next(name, vb, hasB)) ++countB;
    return countA == countB;
}

bool telEquals(const SipUri& a, const SipUri& b) {
    bool globalA = !a.telNumber.empty() && a.telNumber.front() == '+';
    bool globalB = !b.telNumber.empty() && b.telNumber.front() == '+';
    return globalA == globalB && telNumbersEqual(a.telNumber, b.telNumber) &&
           telParamsEqual(a.params, b.params);
}

}  // namespace

bool uriHostEquals(string_view a, string_view b) {
    if (!a.empty() && !b.empty() && a.front() == '[' && b.front() == '[' && a.size() > 2 &&
        b.size() > 2) {
        uint8_t x[16], y[16];
        if (parseIpv6(a.substr(1, a.size() - 2), x) && parseIpv6(b.substr(1, b.size() - 2), y)) {
            return std::memcmp(x, y, sizeof x) == 0;
        }
    }
    return eqNoCase(a, b);
}

bool uriEquals(const SipUri& a, const SipUri& b) {
    if (a.scheme != b.scheme) return false;  // a SIP and a SIPS URI are never equivalent
    if (a.scheme == UriScheme::Tel) return telEquals(a, b);
    // userinfo is case-sensitive; everything else is not (§19.1.4).
    if (a.user.empty() != b.user.empty() || !equalEscaped(a.user, b.user, true)) return false;
    if (a.hasPassword != b.hasPassword || !equalEscaped(a.password, b.password, true)) {
        return false;
    }
    if (!uriHostEquals(a.host, b.host)) return false;
    if (a.hasPort != b.hasPort || a.port != b.port) return false;
    return sipParamsEqual(a.params, b.params) && sipHeadersEqual(a.headers, b.headers);
}

}  // namespace osprey::sip
