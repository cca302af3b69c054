// TcpInput: the kept buffer of a connection with a message split across reads.
#include "core/net/tcp_input.h"

#include <cstring>

#include "mem/pkg.h"

namespace osprey::net {

namespace {
constexpr size_t kMinKeep = 4096;
}

TcpInput::TcpInput(size_t maxMessage) : framer_(maxMessage) {}

TcpInput::~TcpInput() {
    if (buf_ != nullptr) mem::pkgFree(buf_);
}

void TcpInput::reset(size_t maxMessage) {
    if (buf_ != nullptr) mem::pkgFree(buf_);
    buf_ = nullptr;
    len_ = cap_ = 0;
    scratch_ = nullptr;
    noMemory_ = false;
    error_ = sip::ParseError{};
    framer_ = sip::StreamFramer(maxMessage);
}

ReadTarget TcpInput::target(char* scratch, size_t scratchSize) {
    if (buf_ == nullptr) {
        scratch_ = scratch;
        return ReadTarget{scratch, scratchSize};
    }
    scratch_ = nullptr;
    if (len_ == cap_) {
        // The framer fails a message once it reaches the limit, so the buffer never needs
        // more than the limit plus one read's worth of what follows.
        const size_t limit = framer_.maxMessage() + kMinKeep;
        size_t want = cap_ * 2 < limit ? cap_ * 2 : limit;
        void* p = want > cap_ ? mem::pkgRealloc(buf_, want) : nullptr;
        if (p == nullptr) {
            noMemory_ = true;
            return ReadTarget{buf_, 0};
        }
        buf_ = static_cast<char*>(p);
        cap_ = want;
    }
    return ReadTarget{buf_ + len_, cap_ - len_};
}

bool TcpInput::keep(const char* data, size_t len) {
    size_t cap = kMinKeep;
    while (cap < len * 2) cap *= 2;
    buf_ = static_cast<char*>(mem::pkgAlloc(cap));
    if (buf_ == nullptr) {
        noMemory_ = true;
        return false;
    }
    std::memcpy(buf_, data, len);
    len_ = len;
    cap_ = cap;
    return true;
}

void TcpInput::compact(size_t consumed) {
    if (consumed >= len_) {
        mem::pkgFree(buf_);
        buf_ = nullptr;
        len_ = cap_ = 0;
        return;
    }
    std::memmove(buf_, buf_ + consumed, len_ - consumed);
    len_ -= consumed;
}

}  // namespace osprey::net
