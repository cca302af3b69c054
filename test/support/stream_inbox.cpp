// StreamInbox: framing and bounded waits shared by the TCP and TLS test peers.
#include "test/support/stream_inbox.h"

#include "core/timer/clock.h"

namespace osprey::testsupport {

int remainingMs(int64_t deadline) {
    const int64_t left = deadline - timer::nowMs();
    return left > 0 ? static_cast<int>(left) : 0;
}

std::string StreamInbox::take() {
    std::string out;
    out.swap(in_);
    framer_.reset();
    return out;
}

std::unique_ptr<ReceivedMsg> StreamInbox::receiveMsg(const Fill& fill, int timeoutMs) {
    const int64_t deadline = timer::nowMs() + timeoutMs;
    for (;;) {
        const sip::Frame f = framer_.next(in_);
        if (f.kind == sip::FrameKind::Error) return nullptr;
        if (f.kind == sip::FrameKind::Message) {
            auto m = std::make_unique<ReceivedMsg>(in_.substr(0, f.length));
            in_.erase(0, f.length);
            return m;
        }
        if (f.kind != sip::FrameKind::NeedMore) {
            in_.erase(0, f.length);  // keep-alives
            continue;
        }
        if (!fill(remainingMs(deadline)) && (eof_ || remainingMs(deadline) == 0)) return nullptr;
    }
}

std::unique_ptr<ReceivedMsg> StreamInbox::receiveCall(const Fill& fill, std::string_view callId,
                                                      int timeoutMs) {
    const int64_t deadline = timer::nowMs() + timeoutMs;
    while (remainingMs(deadline) > 0) {
        auto m = receiveMsg(fill, remainingMs(deadline));
        if (!m) return nullptr;
        if (m->header("Call-ID") == callId) return m;
    }
    return nullptr;
}

bool StreamInbox::waitEof(const Fill& fill, int timeoutMs) {
    const int64_t deadline = timer::nowMs() + timeoutMs;
    while (!eof_) {
        if (!fill(remainingMs(deadline)) && !eof_ && remainingMs(deadline) == 0) return false;
        in_.clear();
        framer_.reset();
    }
    return true;
}

}  // namespace osprey::testsupport
