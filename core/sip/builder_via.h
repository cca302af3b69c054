// The received/rport edits to the top Via (RFC 3261 §18.2.1, RFC 3581 §4), shared by the
// forwarding builder and the local reply builder.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/sip/builder_output.h"

namespace osprey::sip {

struct SipMsg;
struct ViaBody;

// One change inside the received buffer: [start, end) becomes text (start == end: insertion).
struct RangeEdit {
    uint32_t start = 0;
    uint32_t end = 0;
    std::string_view text;
};

inline constexpr int kMaxReceivedEdits = 2;

// Computes the edits that make the top Via `v` (a via-parm of msg) carry the packet's source:
// rport=<srcPort> when the sender asked for rport (srcPort 0 skips it), received=<srcIp> when the
// sent-by differs from srcIp or rport was asked for (replacing an existing received). srcIp may be
// given with IPv6 brackets; received gets the bare address. Edit text lives in msg.arena. The edits
// are sorted by offset (rport's first at equal offsets).
BuildError receivedEdits(SipMsg& msg, const ViaBody& v, std::string_view srcIp, uint16_t srcPort,
                         RangeEdit out[kMaxReceivedEdits], int* count);

// Decimal text of v into out (room for 20 digits); returns the length.
size_t formatDecimal(uint64_t v, char* out);

}  // namespace osprey::sip
