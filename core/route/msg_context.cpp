// MsgContext: per-message routing state.
#include "core/route/msg_context.h"

#include <cstring>

#include "core/route/next_hop.h"
#include "core/sip/uri.h"

namespace osprey::route {

MsgContext::MsgContext() {
    lua.msg = &msg;
    lua.route = this;
}

void MsgContext::start(const net::RecvInfo& info) {
    static uint64_t lastId = 0;
    id = ++lastId;
    recv = info;
}

bool MsgContext::setExtData(const MsgExtension& ext, void* data) {
    if (data == nullptr || extCount_ == kMaxMsgExtensions || extData<void>(ext) != nullptr) {
        return false;
    }
    ext_[extCount_++] = ExtSlot{&ext, data};
    return true;
}

void MsgContext::reset() {
    for (uint8_t i = 0; i < extCount_; ++i) {
        if (ext_[i].ext->release != nullptr) ext_[i].ext->release(*this, ext_[i].data);
    }
    extCount_ = 0;
    builder_.reset();  // its edits live in msg.arena, released next
    msg.reset();
    lua.flags = 0;
    lua.bflags = 0;
    lua.routeType = lua::RouteType::Request;
    lua.dropped = false;
    dstUri = {};
    newRuri = {};
    ruriPath = {};
    forceRport = false;
    replyNoConnect = false;
    replied = false;
    forwards = 0;
    forceSocket = -1;
    copyHookCount = 0;
    errorStatus = 500;
    errorReason = "Server Internal Error";
    srcIpLen_ = 0;
    branches_.clear();
}

sip::MsgBuilder& MsgContext::builder() {
    if (!builder_) builder_.emplace(msg);
    return *builder_;
}

std::string_view MsgContext::keep(std::string_view text) {
    if (text.empty()) return {};
    char* p = static_cast<char*>(msg.arena.alloc(text.size()));
    if (p == nullptr) return {};
    std::memcpy(p, text.data(), text.size());
    return {p, text.size()};
}

bool MsgContext::setDstUri(std::string_view uri) {
    if (!isSipUri(uri)) return false;
    std::string_view kept = keep(uri);
    if (kept.empty()) return false;
    dstUri = kept;
    return true;
}

bool MsgContext::setRequestUri(std::string_view uri) {
    sip::SipUri parsed;
    if (uri.empty() || sip::parseUri(uri, parsed) != sip::UriError::Ok) return false;
    std::string_view kept = keep(uri);
    if (kept.empty()) return false;
    newRuri = kept;
    return true;
}

std::string_view MsgContext::srcIp() {
    if (srcIpLen_ == 0) {
        srcIpLen_ = static_cast<uint8_t>(net::formatIp(recv.src, srcIpText_, sizeof srcIpText_));
    }
    return {srcIpText_, srcIpLen_};
}

void MsgContext::setError(int status, std::string_view reason) {
    errorStatus = status;
    std::string_view kept = keep(reason);
    errorReason = kept.empty() ? std::string_view("Server Internal Error") : kept;
}

}  // namespace osprey::route
