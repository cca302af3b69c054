// AOR keys for usrloc.
#include "modules/registrar/aor.h"

#include <cstring>

namespace osprey::registrar {

bool makeAor(const sip::SipUri& uri, bool useDomain, AorBuf& out) {
    std::string_view user = uri.scheme == sip::UriScheme::Tel ? uri.telNumber : uri.user;
    if (user.empty()) return false;
    const size_t total = user.size() + (useDomain ? 1 + uri.host.size() : 0);
    if (total > usrloc::kMaxAorLen) return false;
    std::memcpy(out.text, user.data(), user.size());
    out.len = user.size();
    if (useDomain) {
        out.text[out.len++] = '@';
        for (char c : uri.host) out.text[out.len++] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
    }
    return true;
}

}  // namespace osprey::registrar
