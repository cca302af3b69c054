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

// Finds the first item called `name` in a ';'/'&'-separated list.
struct Item {
    string_view name, value;
    bool hasValue = false;
};

bool findItem(string_view list, char sep, string_view name, Item* out) {
    ItemIter it(list, sep);
    Item i;
    while (it.next(i.name, i.value, i.hasValue)) {
        if (nameEq(i.name, name)) {
            *out = i;
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
// A name given twice counts by its first occurrence, on both sides alike (so the relation
// stays reflexive and symmetric whatever the input).
bool sipParamsEqual(string_view pa, string_view pb) {
    ItemIter it(pa, ';');
    Item a, first, b;
    while (it.next(a.name, a.value, a.hasValue)) {
        if (findItem(pa, ';', a.name, &first) && first.name.data() != a.name.data()) continue;
        if (findItem(pb, ';', a.name, &b)) {
            if (a.hasValue != b.hasValue || !valuesEqual(a.name, a.value, b.value)) return false;
        } else if (mustBeInBoth(a.name)) {
            return false;
        }
    }
    ItemIter back(pb, ';');
    while (back.next(b.name, b.value, b.hasValue)) {
        if (mustBeInBoth(b.name) && !findItem(pa, ';', b.name, &a)) return false;
    }
    return true;
}

using ValueEq = bool (*)(string_view, string_view);

size_t countEqual(string_view list, char sep, const Item& x, ValueEq valueEq) {
    size_t n = 0;
    ItemIter it(list, sep);
    Item y;
    while (it.next(y.name, y.value, y.hasValue)) {
        if (nameEq(x.name, y.name) && x.hasValue == y.hasValue && valueEq(x.value, y.value)) ++n;
    }
    return n;
}

// The same items on both sides, order aside (equal as multisets).
bool sameItems(string_view la, string_view lb, char sep, ValueEq valueEq) {
    size_t countA = 0, countB = 0;
    ItemIter it(la, sep);
    Item x;
    while (it.next(x.name, x.value, x.hasValue)) {
        ++countA;
        if (countEqual(la, sep, x, valueEq) != countEqual(lb, sep, x, valueEq)) return false;
    }
    ItemIter back(lb, sep);
    while (back.next(x.name, x.value, x.hasValue)) ++countB;
    return countA == countB;
}

// Headers are never ignored: the same set on both sides, each with an equal value. Header
// values are compared exactly after unescaping; the per-header rules of §20 would only make
// more pairs equal, and a false "different" is the safe side for a router.
bool headerValueEq(string_view a, string_view b) {
    return equalEscaped(a, b, true);
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

// phone-context may be global digits (separators ignored) or a domain (case ignored).
bool telValueEq(string_view a, string_view b) {
    if (!a.empty() && a.front() == '+' && !b.empty() && b.front() == '+') {
        return telNumbersEqual(a, b);
    }
    return equalEscaped(a, b, false);
}

bool telEquals(const SipUri& a, const SipUri& b) {
    bool globalA = !a.telNumber.empty() && a.telNumber.front() == '+';
    bool globalB = !b.telNumber.empty() && b.telNumber.front() == '+';
    return globalA == globalB && telNumbersEqual(a.telNumber, b.telNumber) &&
           sameItems(a.params, b.params, ';', telValueEq);
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
    return sipParamsEqual(a.params, b.params) &&
           sameItems(a.headers, b.headers, '&', headerValueEq);
}

}  // namespace osprey::sip
