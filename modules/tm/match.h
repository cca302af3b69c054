// Matching messages to transactions (RFC 3261 §17.2.3 for requests, §17.1.3 for responses).
//
// Requests whose top Via branch carries the magic cookie match on branch, sent-by and method
// (a CANCEL and the ACK of a negative reply match the INVITE with the same branch). Others use
// the RFC 2543 rules (§17.2.3 last paragraphs): Request-URI, To tag, From tag, Call-ID, CSeq
// and the top Via. An ACK to a 2xx is a new transaction with its own branch: it matches the
// INVITE answered 2xx by Call-ID, CSeq number, From tag and the To tag of that 2xx (the
// "end-to-end ACK" Kamailio's t_check_trans reports).
//
// Responses match through the branch we put in our Via: "z9hG4bKtm<bucket>.<label>.<branch>"
// (hex, hex, decimal), which names the cell and branch without a search.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "modules/tm/table.h"

namespace osprey::sip {
struct SipMsg;
}

namespace osprey::tm {

enum class MatchKind : uint8_t {
    None,
    Same,    // the request's own transaction (a retransmission), or the INVITE a CANCEL names
    AckNeg,  // an ACK for our negative final reply (hop by hop, absorbed)
    Ack2xx,  // an end-to-end ACK for a 2xx
};

struct RequestKey {
    std::string_view callId, fromTag, toTag, ruri, branch, sentBy, viaText;
    uint32_t cseq = 0;
    uint16_t sentByPort = 0;
    uint8_t method = 0;  // sip::Method
    bool rfc3261 = false;
};

// False when the request lacks what matching needs (Call-ID, CSeq, From, To, Via).
bool requestKey(sip::SipMsg& req, RequestKey* key);

// Bucket lock held. The first cell matching key, and how; for a CANCEL the INVITE it names.
Cell* matchRequest(Bucket& bucket, const RequestKey& key, MatchKind* how);

inline constexpr std::string_view kBranchPrefix = "z9hG4bKtm";
// Longest branch formatBranch writes.
inline constexpr size_t kBranchMax = 9 + 8 + 1 + 8 + 1 + 2;
size_t formatBranch(uint32_t bucket, uint32_t label, unsigned index, char* out);
bool parseBranch(std::string_view branch, uint32_t* bucket, uint32_t* label, unsigned* index);

}  // namespace osprey::tm
