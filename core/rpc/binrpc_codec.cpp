// binrpc encoding and decoding; the format is described in binrpc.h.
#include <cmath>
#include <limits>

#include "core/rpc/binrpc.h"

namespace osprey::rpc {

namespace {

enum : uint8_t {
    kInt = 0,
    kStr = 1,
    kDouble = 2,
    kStruct = 3,
    kArray = 4,
    kAvp = 5,
    kBytes = 6,
};

// Bytes needed for v (0 for 0), as the format's minimal integers.
unsigned intLen(uint64_t v) {
    unsigned n = 0;
    while (v != 0) {
        ++n;
        v >>= 8;
    }
    return n;
}

void putBigEndian(uint64_t v, unsigned n, std::string* out) {
    for (unsigned i = n; i > 0; --i) out->push_back(static_cast<char>((v >> ((i - 1) * 8)) & 0xFF));
}

void putInt(int32_t i, std::string* out) {
    const uint32_t u = static_cast<uint32_t>(i);
    const unsigned n = intLen(u);
    out->push_back(static_cast<char>((n << 4) | kInt));
    putBigEndian(u, n, out);
}

void putDouble(double d, std::string* out) {
    const double scaled = d * 1000;
    int64_t fixed = 0;
    // Rounded, not truncated: 0.009 * 1000 is 8.99999..., and must go out as 9.
    if (std::isfinite(scaled) && std::fabs(scaled) < 9.2e18) fixed = std::llround(scaled);
    const uint64_t u = static_cast<uint64_t>(fixed);
    const unsigned n =
        intLen(u);  // up to 8: the size nibble of a double is never a length-of-length
    out->push_back(static_cast<char>((n << 4) | kDouble));
    putBigEndian(u, n, out);
}

// A counted string record (type kStr or kAvp adds the terminating NUL; kBytes does not).
void putString(std::string_view s, uint8_t type, std::string* out) {
    const bool zero = type == kStr || type == kAvp;
    const uint64_t l = s.size() + (zero ? 1 : 0);
    if (l < 8) {
        out->push_back(static_cast<char>((l << 4) | type));
    } else {
        const unsigned n = intLen(l);
        out->push_back(static_cast<char>(((n | 8) << 4) | type));
        putBigEndian(l, n, out);
    }
    out->append(s);
    if (zero) out->push_back('\0');
}

void putValue(const Value& v, bool nested, std::string* out);

// Arrays nested in a struct or array travel as a struct of unnamed values.
void putList(const Value& v, bool nested, std::string* out) {
    const uint8_t tag = nested ? kStruct : kArray;
    out->push_back(static_cast<char>(tag));
    for (const Value& e : v.items()) putValue(e, true, out);
    out->push_back(static_cast<char>(0x80 | tag));
}

void putValue(const Value& v, bool nested, std::string* out) {
    switch (v.type()) {
        case Value::Type::Null:
            putString("", kStr, out);
            return;
        case Value::Type::Int:
            // Wider integers than the format's 32 bits travel as their decimal text.
            if (v.asInt() < std::numeric_limits<int32_t>::min() ||
                v.asInt() > std::numeric_limits<int32_t>::max()) {
                putString(std::to_string(v.asInt()), kStr, out);
            } else {
                putInt(static_cast<int32_t>(v.asInt()), out);
            }
            return;
        case Value::Type::Double:
            putDouble(v.asDouble(), out);
            return;
        case Value::Type::String:
            putString(v.asString(), kStr, out);
            return;
        case Value::Type::Array:
            putList(v, nested, out);
            return;
        case Value::Type::Struct:
            out->push_back(static_cast<char>(kStruct));
            for (const Value::Member& m : v.members()) {
                putString(m.first, kAvp, out);
                putValue(m.second, true, out);
            }
            out->push_back(static_cast<char>(0x80 | kStruct));
            return;
    }
}

std::string packet(BinrpcType type, uint32_t cookie, const std::string& body) {
    std::string out;
    unsigned ll = intLen(body.size());
    unsigned cl = intLen(cookie);
    if (ll == 0) ll = 1;
    if (cl == 0) cl = 1;
    out.push_back(static_cast<char>(kBinrpcMagicVersion));
    out.push_back(
        static_cast<char>((static_cast<unsigned>(type) << 4) | ((ll - 1) << 2) | (cl - 1)));
    putBigEndian(body.size(), ll, &out);
    putBigEndian(cookie, cl, &out);
    out += body;
    return out;
}

// Record decoder over one body.
class Decoder {
public:
    explicit Decoder(std::string_view body) : b_(body) {}

    bool done() const { return pos_ >= b_.size(); }
    const std::string& error() const { return error_; }

    // One value; *endTag set (and nothing stored) when the record closes a struct or array.
    bool value(Value* out, unsigned depth, bool* endTag) {
        *endTag = false;
        if (pos_ >= b_.size()) return fail("truncated record");
        const uint8_t h = static_cast<uint8_t>(b_[pos_++]);
        const uint8_t type = h & 0x0F;
        uint64_t len = h >> 4;
        bool counted = false;
        if (type != kDouble && (len & 8) != 0) {
            counted = true;
            const unsigned n = static_cast<unsigned>(len & 7);
            if (n > 4) return fail("length field too long");
            if (!readUnsigned(n, &len)) return false;
        }
        if (len > b_.size() - pos_) return fail("record longer than the packet");
        switch (type) {
            case kInt: {
                if (len > 8) return fail("integer too long");
                uint64_t u = 0;
                readUnsigned(static_cast<unsigned>(len), &u);
                *out = len <= 4 ? Value(int64_t{static_cast<int32_t>(static_cast<uint32_t>(u))})
                                : Value(static_cast<int64_t>(u));
                return true;
            }
            case kDouble: {
                if (len > 8) return fail("double too long");
                uint64_t u = 0;
                readUnsigned(static_cast<unsigned>(len), &u);
                // Negative values are written on all 8 bytes.
                *out = Value(static_cast<double>(static_cast<int64_t>(u)) / 1000.0);
                return true;
            }
            case kStr:
            case kBytes: {
                size_t n = static_cast<size_t>(len);
                std::string_view s = b_.substr(pos_, n);
                pos_ += n;
                if (type == kStr && !s.empty() && s.back() == '\0') s.remove_suffix(1);
                *out = Value(s);
                return true;
            }
            case kStruct:
            case kArray:
                if (counted) {
                    if (len != 0) return fail("bad end mark");
                    *endTag = true;
                    endType_ = type;
                    return true;
                }
                if (len != 0) return fail("bad start mark");
                return list(type, out, depth + 1);
            default:
                return fail("unknown record type");
        }
    }

private:
    bool fail(const char* what) {
        if (error_.empty()) error_ = what;
        return false;
    }

    bool readUnsigned(unsigned n, uint64_t* out) {
        if (n > b_.size() - pos_) return fail("truncated record");
        uint64_t v = 0;
        for (unsigned i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b_[pos_++]);
        *out = v;
        return true;
    }

    // The members of a struct (named with AVP records) or the elements of an array, up to
    // the matching end mark. A struct of unnamed values is how an array travels inside a struct.
    bool list(uint8_t type, Value* out, unsigned depth) {
        if (depth > kBinrpcMaxDepth) return fail("nesting too deep");
        Value arr = Value::array();
        Value st = Value::structure();
        for (;;) {
            if (pos_ >= b_.size()) return fail("unterminated struct or array");
            std::string name;
            const bool named = type == kStruct && (static_cast<uint8_t>(b_[pos_]) & 0x0F) == kAvp;
            if (named && !avpName(&name)) return false;
            Value v;
            bool end = false;
            if (!value(&v, depth, &end)) return false;
            if (end) {
                if (named) return fail("struct member without a value");
                if (endType_ != type) return fail("mismatched end mark");
                break;
            }
            if (named) {
                st.add(std::move(name), std::move(v));
            } else {
                arr.push(std::move(v));
            }
        }
        if (type == kArray || (st.members().empty() && !arr.items().empty())) {
            *out = std::move(arr);
            return true;
        }
        for (Value& v : arr.items()) st.add("", std::move(v));
        *out = std::move(st);
        return true;
    }

    bool avpName(std::string* name) {
        const uint8_t h = static_cast<uint8_t>(b_[pos_++]);
        uint64_t len = h >> 4;
        if ((len & 8) != 0) {
            const unsigned n = static_cast<unsigned>(len & 7);
            if (n > 4) return fail("length field too long");
            if (!readUnsigned(n, &len)) return false;
        }
        if (len > b_.size() - pos_) return fail("record longer than the packet");
        std::string_view s = b_.substr(pos_, static_cast<size_t>(len));
        pos_ += static_cast<size_t>(len);
        if (!s.empty() && s.back() == '\0') s.remove_suffix(1);
        *name = std::string(s);
        return true;
    }

    std::string_view b_;
    size_t pos_ = 0;
    uint8_t endType_ = 0;
    std::string error_;
};

}  // namespace

BinrpcFrame binrpcFrame(std::string_view buf, size_t maxBody) {
    BinrpcFrame f;
    if (buf.empty()) {
        f.status = FrameStatus::Incomplete;
        return f;
    }
    if (static_cast<uint8_t>(buf[0]) != kBinrpcMagicVersion) {
        f.error = "not a binrpc packet (bad magic or version)";
        return f;
    }
    if (buf.size() < 2) {
        f.status = FrameStatus::Incomplete;
        return f;
    }
    const uint8_t b1 = static_cast<uint8_t>(buf[1]);
    const unsigned type = b1 >> 4;
    if (type != 0 && type != 1 && type != 3) {
        f.error = "unknown binrpc packet type";
        return f;
    }
    f.type = static_cast<BinrpcType>(type);
    const unsigned ll = ((b1 >> 2) & 3) + 1;
    const unsigned cl = (b1 & 3) + 1;
    f.headerLen = 2 + ll + cl;
    if (buf.size() < f.headerLen) {
        f.status = FrameStatus::Incomplete;
        return f;
    }
    uint64_t len = 0;
    for (unsigned i = 0; i < ll; ++i) len = (len << 8) | static_cast<uint8_t>(buf[2 + i]);
    uint32_t cookie = 0;
    for (unsigned i = 0; i < cl; ++i)
        cookie = (cookie << 8) | static_cast<uint8_t>(buf[2 + ll + i]);
    f.cookie = cookie;
    if (len > maxBody) {
        f.error = "binrpc packet too large";
        return f;
    }
    f.bodyLen = static_cast<size_t>(len);
    f.status = buf.size() - f.headerLen >= f.bodyLen ? FrameStatus::Ok : FrameStatus::Incomplete;
    return f;
}

bool decodeBinrpcRecords(std::string_view body, std::vector<Value>* out, std::string* error) {
    Decoder d(body);
    while (!d.done()) {
        Value v;
        bool end = false;
        if (!d.value(&v, 0, &end)) {
            *error = d.error();
            return false;
        }
        if (end) {
            *error = "end mark outside a struct or array";
            return false;
        }
        out->push_back(std::move(v));
    }
    return true;
}

bool decodeBinrpcRequest(std::string_view body, BinrpcRequest* out, std::string* error) {
    std::vector<Value> records;
    if (!decodeBinrpcRecords(body, &records, error)) return false;
    if (records.empty() || !records[0].isString()) {
        *error = "the first record is not a method name";
        return false;
    }
    out->method = records[0].asString();
    out->args.assign(std::make_move_iterator(records.begin() + 1),
                     std::make_move_iterator(records.end()));
    return true;
}

std::string encodeBinrpcReply(uint32_t cookie, const Value& v, bool spread) {
    std::string body;
    if (spread && v.isArray()) {
        for (const Value& e : v.items()) putValue(e, false, &body);
    } else if (!v.isNull()) {
        putValue(v, false, &body);
    }
    return packet(BinrpcType::Reply, cookie, body);
}

std::string encodeBinrpcFault(uint32_t cookie, int code, std::string_view text) {
    std::string body;
    putInt(code, &body);
    putString(text, kStr, &body);
    return packet(BinrpcType::Fault, cookie, body);
}

std::string encodeBinrpcRequest(uint32_t cookie, std::string_view method,
                                const std::vector<Value>& args) {
    std::string body;
    putString(method, kStr, &body);
    for (const Value& a : args) putValue(a, false, &body);
    return packet(BinrpcType::Request, cookie, body);
}

}  // namespace osprey::rpc
