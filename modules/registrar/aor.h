// The address of record a registrar keys bindings by (RFC 3261 §10.3 step 5): the user part of
// a URI, plus "@domain" (lower-cased) when usrloc's use_domain is set.
#pragma once
#include <cstddef>
#include <string_view>

#include "core/sip/uri.h"
#include "modules/usrloc/api.h"

namespace osprey::registrar {

struct AorBuf {
    char text[usrloc::kMaxAorLen + 1];
    size_t len = 0;
    std::string_view view() const { return {text, len}; }
};

// False when the URI has no user part (or a tel: number) or the AOR would be too long.
bool makeAor(const sip::SipUri& uri, bool useDomain, AorBuf& out);

}  // namespace osprey::registrar
