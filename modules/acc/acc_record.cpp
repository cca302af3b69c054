// Encoding of acc records: u8 count, then per field u16 length + bytes.
#include "modules/acc/acc_record.h"

#include <cstring>

namespace osprey::acc {

size_t encodeRecord(const Record& r, char* out, size_t cap) {
    if (r.count > kMaxFields || cap < 1) return 0;
    size_t n = 0;
    out[n++] = static_cast<char>(r.count);
    for (unsigned i = 0; i < r.count; ++i) {
        const std::string_view f = r.fields[i];
        if (f.size() > UINT16_MAX || cap - n < 2 + f.size()) return 0;
        const auto len = static_cast<uint16_t>(f.size());
        std::memcpy(out + n, &len, 2);
        if (!f.empty()) std::memcpy(out + n + 2, f.data(), f.size());
        n += 2 + f.size();
    }
    return n;
}

bool decodeRecord(std::string_view in, Record& r) {
    if (in.empty()) return false;
    r.count = static_cast<uint8_t>(in[0]);
    if (r.count > kMaxFields) return false;
    in.remove_prefix(1);
    for (unsigned i = 0; i < r.count; ++i) {
        if (in.size() < 2) return false;
        uint16_t len;
        std::memcpy(&len, in.data(), 2);
        if (in.size() - 2 < len) return false;
        r.fields[i] = in.substr(2, len);
        in.remove_prefix(2 + len);
    }
    return in.empty();
}

}  // namespace osprey::acc
