// Bencode writer and in-place reader (bencode.h).
#include "modules/rtpengine/bencode.h"

#include <cstring>
#include <limits>

namespace osprey::bencode {

void Writer::raw(std::string_view s) {
    if (overflow_ || cap_ - len_ < s.size()) {
        overflow_ = true;
        return;
    }
    std::memcpy(buf_ + len_, s.data(), s.size());
    len_ += s.size();
}

namespace {
// Decimal digits of v, written backwards from the end of a 24-byte buffer.
std::string_view decimal(uint64_t v, char (&buf)[24]) {
    char* p = buf + sizeof buf;
    do {
        *--p = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return {p, static_cast<size_t>(buf + sizeof buf - p)};
}
}  // namespace

void Writer::str(std::string_view s) {
    char num[24];
    raw(decimal(s.size(), num));
    raw(":");
    raw(s);
}

void Writer::integer(int64_t v) {
    char num[24];
    raw("i");
    if (v < 0) raw("-");
    // Negating INT64_MIN overflows; its magnitude fits in the unsigned type.
    const uint64_t mag = v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    raw(decimal(mag, num));
    raw("e");
}

const char* errcName(Errc c) {
    switch (c) {
        case Errc::Ok:
            return "Ok";
        case Errc::Empty:
            return "Empty";
        case Errc::Truncated:
            return "Truncated";
        case Errc::BadString:
            return "BadString";
        case Errc::BadInteger:
            return "BadInteger";
        case Errc::BadKey:
            return "BadKey";
        case Errc::UnknownType:
            return "UnknownType";
        case Errc::TooDeep:
            return "TooDeep";
        case Errc::TooManyNodes:
            return "TooManyNodes";
        case Errc::TrailingBytes:
            return "TrailingBytes";
    }
    return "?";
}

namespace {

class Reader {
public:
    Reader(std::string_view in, std::span<Node> nodes) : in_(in), nodes_(nodes) {}

    Error value(unsigned depth) {
        if (pos_ >= in_.size()) return fail(Errc::Truncated);
        if (count_ >= nodes_.size()) return fail(Errc::TooManyNodes);
        const uint32_t self = count_++;
        Node& n = nodes_[self];
        n = Node{};
        const char c = in_[pos_];
        Error e;
        if (c >= '0' && c <= '9') {
            n.type = Type::Str;
            e = string(n.str);
        } else if (c == 'i') {
            n.type = Type::Int;
            e = integer(n.num);
        } else if (c == 'l' || c == 'd') {
            if (depth >= kMaxDepth) return fail(Errc::TooDeep);
            n.type = c == 'l' ? Type::List : Type::Dict;
            ++pos_;
            e = children(self, depth);
        } else {
            return fail(Errc::UnknownType);
        }
        if (e) return e;
        nodes_[self].end = count_;
        return {};
    }

    size_t pos() const { return pos_; }
    uint32_t count() const { return count_; }

private:
    Error children(uint32_t self, unsigned depth) {
        const bool dict = nodes_[self].type == Type::Dict;
        uint32_t n = 0;
        for (;;) {
            if (pos_ >= in_.size()) return fail(Errc::Truncated);
            if (in_[pos_] == 'e') {
                ++pos_;
                break;
            }
            if (dict && n % 2 == 0 && !(in_[pos_] >= '0' && in_[pos_] <= '9')) {
                return fail(Errc::BadKey);
            }
            if (Error e = value(depth + 1)) return e;
            ++n;
        }
        // A dictionary whose last key has no value ends too early.
        if (dict && n % 2 != 0) return fail(Errc::Truncated);
        nodes_[self].count = n;
        return {};
    }

    Error string(std::string_view& out) {
        const size_t start = pos_;
        uint64_t len = 0;
        while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') {
            len = len * 10 + static_cast<uint64_t>(in_[pos_] - '0');
            if (len > in_.size()) return fail(Errc::Truncated);
            ++pos_;
        }
        const size_t digits = pos_ - start;
        if (digits > 1 && in_[start] == '0') return failAt(Errc::BadString, start);
        if (pos_ >= in_.size()) return fail(Errc::Truncated);
        if (in_[pos_] != ':') return fail(Errc::BadString);
        ++pos_;
        if (in_.size() - pos_ < len) return fail(Errc::Truncated);
        out = in_.substr(pos_, len);
        pos_ += len;
        return {};
    }

    Error integer(int64_t& out) {
        const size_t start = pos_;
        ++pos_;  // 'i'
        bool neg = false;
        if (pos_ < in_.size() && in_[pos_] == '-') {
            neg = true;
            ++pos_;
        }
        const size_t digitsStart = pos_;
        uint64_t mag = 0;
        const uint64_t limit =
            neg ? uint64_t{1} << 63 : static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
        while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') {
            const auto d = static_cast<uint64_t>(in_[pos_] - '0');
            if (mag > (limit - d) / 10) return failAt(Errc::BadInteger, start);
            mag = mag * 10 + d;
            ++pos_;
        }
        if (pos_ >= in_.size()) return fail(Errc::Truncated);
        const size_t digits = pos_ - digitsStart;
        if (in_[pos_] != 'e' || digits == 0 || (digits > 1 && in_[digitsStart] == '0') ||
            (neg && mag == 0)) {
            return failAt(Errc::BadInteger, start);
        }
        ++pos_;
        out = neg ? static_cast<int64_t>(uint64_t{0} - mag) : static_cast<int64_t>(mag);
        return {};
    }

    Error fail(Errc c) { return failAt(c, pos_); }
    static Error failAt(Errc c, size_t at) { return Error{c, static_cast<uint32_t>(at)}; }

    std::string_view in_;
    std::span<Node> nodes_;
    size_t pos_ = 0;
    uint32_t count_ = 0;
};

}  // namespace

Error decode(std::string_view in, std::span<Node> nodes, uint32_t& count) {
    count = 0;
    if (in.empty()) return Error{Errc::Empty, 0};
    Reader r(in, nodes);
    if (Error e = r.value(0)) return e;
    if (r.pos() != in.size()) return Error{Errc::TrailingBytes, static_cast<uint32_t>(r.pos())};
    count = r.count();
    return {};
}

const Node* dictGet(std::span<const Node> nodes, uint32_t dict, std::string_view key) {
    if (dict >= nodes.size() || nodes[dict].type != Type::Dict) return nullptr;
    uint32_t i = dict + 1;
    for (uint32_t k = 0; k < nodes[dict].count; k += 2) {
        const Node& keyNode = nodes[i];
        const uint32_t valueIndex = keyNode.end;
        if (keyNode.str == key) return &nodes[valueIndex];
        i = nodes[valueIndex].end;
    }
    return nullptr;
}

}  // namespace osprey::bencode
