// SipMsg bookkeeping: reset, header slots (inline, then stable blocks from the arena), the
// first-error rule, and error text.
#include "core/sip/msg.h"

#include <cstring>

namespace osprey::sip {

SipMsg::SipMsg() {}

void SipMsg::reset() {
    // Copies of constants rather than `= T{}`: GCC zeroes a value-initialised temporary with
    // `rep stos`, slow for structs this small (this runs once per message).
    static constexpr StartLine kNoStart{};
    static constexpr ParseError kNoError{};
    data = {};
    std::memcpy(&start, &kNoStart, sizeof start);
    topVia = nullptr;
    std::memcpy(&error, &kNoError, sizeof error);
    seen = 0;
    count = 0;
    scanPos = 0;
    eoh = false;
    bodyStart = 0;
    body = {};
    bodyFound = false;
    ruri = nullptr;
    arena.release();
}

uint32_t SipMsg::indexOf(const HeaderField& h) const {
    const auto* inl = reinterpret_cast<const HeaderField*>(inlineStore_);
    if (&h >= inl && &h < inl + kInlineHeaders) return static_cast<uint32_t>(&h - inl);
    uint32_t nblocks =
        count > kInlineHeaders ? (count - kInlineHeaders + kBlockHeaders - 1) / kBlockHeaders : 0;
    for (uint32_t b = 0; b < nblocks; ++b) {
        if (&h >= blocks[b] && &h < blocks[b] + kBlockHeaders)
            return kInlineHeaders + b * kBlockHeaders + static_cast<uint32_t>(&h - blocks[b]);
    }
    return kNoHeader;
}

bool SipMsg::fail(const ParseError& err) {
    if (error.code == ParseErrc::None) error = err;
    return false;
}

HeaderField* SipMsg::addHeaderSlow() {
    uint32_t i = count;
    if (i >= kMaxHeaders) {
        ParseError e;
        e.code = ParseErrc::TooManyHeaders;
        e.offset = scanPos;
        e.detail = "more than 1024 headers";
        fail(e);
        return nullptr;
    }
    uint32_t rel = i - kInlineHeaders;
    if (rel % kBlockHeaders == 0) {
        auto* blk = static_cast<HeaderField*>(arena.alloc(sizeof(HeaderField) * kBlockHeaders));
        if (!blk) {
            ParseError e;
            e.code = ParseErrc::OutOfMemory;
            e.offset = scanPos;
            fail(e);
            return nullptr;
        }
        blocks[rel / kBlockHeaders] = blk;
    }
    ++count;
    return &blocks[rel / kBlockHeaders][rel % kBlockHeaders];
}

std::string_view SipMsg::errorText() {
    size_t n = formatParseError(error, errorBuf_, sizeof errorBuf_);
    return {errorBuf_, n};
}

std::string_view SipMsg::reasonPhrase() {
    size_t n = formatReasonPhrase(error, reasonBuf_, sizeof reasonBuf_);
    return {reasonBuf_, n};
}

}  // namespace osprey::sip
