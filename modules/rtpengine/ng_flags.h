// The flags string of rtpengine_offer/answer/manage/delete/query ("replace-origin ICE=remove
// RTP/AVP direction=pub ...") parsed the way Kamailio's rtpengine module parses it, and
// written into an NG request dictionary:
//
//   replace-X, rtcp-mux-X, SDES-X, T38-X   -> an item X of the "replace", "rtcp-mux", "SDES",
//                                            "T38" lists (also the "replace=X" spelling)
//   direction=X, internal, external        -> an item of the "direction" list
//   received-from=IP                       -> "received-from": ["IP4"|"IP6", IP]
//   codec-strip=X, codec-offer=X, ...,
//   transcode-X                            -> the "codec" dictionary's "strip"/"offer"/...
//                                            lists (comma-separated values split)
//   RTP, AVP, SRTP, AVPF, DTLS, RTP/AVP,
//   RTP/SAVP, ... UDP/TLS/RTP/SAVPF        -> "transport-protocol"
//   call-id=, from-tag=, to-tag[=],
//   via-branch=, force-answer              -> what the module sends, not flags
//   repacketize=N, TOS=N, delete-delay=N   -> integers
//   any other key=value                    -> a string entry of the dictionary
//   any other word                         -> an item of the "flags" list
//
// Views point into the flags string, which must outlive the result.
#pragma once
#include <cstdint>
#include <string_view>

#include "modules/rtpengine/bencode.h"

namespace osprey::rtpengine {

struct NgFlags {
    static constexpr unsigned kMaxItems = 24;

    struct List {
        std::string_view items[kMaxItems];
        uint8_t count = 0;
        bool add(std::string_view v) {
            if (count >= kMaxItems) return false;
            items[count++] = v;
            return true;
        }
    };
    struct Pair {
        std::string_view key;
        std::string_view value;
    };

    List flags, replace, direction, rtcpMux, sdes, t38;
    // codec operations: op ("strip", "offer", "transcode", "mask", "set", "except", "accept",
    // "consume") and its comma-separated value
    Pair codec[kMaxItems];
    uint8_t codecCount = 0;
    Pair dict[kMaxItems];  // generic key=value entries
    uint8_t dictCount = 0;
    std::string_view receivedFrom;
    bool receivedFromV6 = false;
    int transport = -1;  // Kamailio's bit set: 0x100 "given", low bits SRTP/AVPF/DTLS
    std::string_view callId, fromTag, toTag;
    bool toTagFlag = false;  // "to-tag": send the To tag (delete only that branch)
    bool forceAnswer = false;
    bool directional = false;
    int64_t repacketize = 0;
    int64_t tos = -1;
    int64_t deleteDelay = -1;
    std::string_view viaBranch;  // accepted, not used (no Via branch is sent)

    std::string_view error;      // what was wrong, when parse returned false
    std::string_view errorFlag;  // the flag it was wrong about
};

// False (with out.error/errorFlag set) for a flag Kamailio rejects (call-id without a value,
// a bad via-branch or repacketize value) or more items than a list holds.
bool parseNgFlags(std::string_view text, NgFlags& out);

// "RTP/AVP", "RTP/SAVPF", ...: the protocol a transport bit set stands for; empty when none.
std::string_view transportProtocol(int transport);

// Writes every flag-derived entry into the open dictionary (the caller adds command, call-id,
// tags and sdp). Lists that stay empty are left out.
void writeNgFlags(const NgFlags& f, bencode::Writer& w);

}  // namespace osprey::rtpengine
