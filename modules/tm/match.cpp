// Transaction matching.
#include "modules/tm/match.h"

#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/method.h"
#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"
#include "core/sip/text.h"
#include "core/sip/via.h"

namespace osprey::tm {

namespace {

bool sameSentBy(Cell* c, const RequestKey& k) {
    return c->sentByPort == k.sentByPort && sip::lex::equalsNoCase(c->piece(c->sentBy), k.sentBy);
}

bool same2xxAck(Cell* c, const RequestKey& k) {
    const uint16_t st = __atomic_load_n(&c->uasStatus, __ATOMIC_ACQUIRE);
    if (st < 200 || st >= 300 || c->toTag2xxLen == 0) return false;
    return c->piece(c->fromTag) == k.fromTag &&
           std::string_view(c->toTag2xx, c->toTag2xxLen) == k.toTag;
}

MatchKind match3261(Cell* c, const RequestKey& k) {
    const auto m = static_cast<sip::Method>(k.method);
    const bool sameBranch = sip::lex::equalsNoCase(c->piece(c->branch), k.branch) && sameSentBy(c, k);
    switch (m) {
        case sip::Method::Cancel:
            return c->isInvite() && sameBranch ? MatchKind::Same : MatchKind::None;
        case sip::Method::Ack:
            if (!c->isInvite()) return MatchKind::None;
            if (sameBranch) return MatchKind::AckNeg;
            return same2xxAck(c, k) ? MatchKind::Ack2xx : MatchKind::None;
        default:
            return c->method == m && sameBranch ? MatchKind::Same : MatchKind::None;
    }
}

MatchKind match2543(Cell* c, const RequestKey& k) {
    const auto m = static_cast<sip::Method>(k.method);
    if (c->piece(c->fromTag) != k.fromTag) return MatchKind::None;
    if (m == sip::Method::Ack) {
        if (!c->isInvite()) return MatchKind::None;
        if (same2xxAck(c, k)) return MatchKind::Ack2xx;
        if (c->piece(c->ruri) != k.ruri || c->piece(c->viaText) != k.viaText) {
            return MatchKind::None;
        }
        return __atomic_load_n(&c->uasStatus, __ATOMIC_ACQUIRE) >= 300 ? MatchKind::AckNeg
                                                                       : MatchKind::None;
    }
    if (c->piece(c->ruri) != k.ruri || c->piece(c->toTag) != k.toTag ||
        c->piece(c->viaText) != k.viaText) {
        return MatchKind::None;
    }
    if (m == sip::Method::Cancel) return c->isInvite() ? MatchKind::Same : MatchKind::None;
    return c->method == m ? MatchKind::Same : MatchKind::None;
}

}  // namespace

bool requestKey(sip::SipMsg& req, RequestKey* k) {
    if (!req.isRequest() || req.topVia == nullptr) return false;
    sip::parseHeaders(req, sip::HDR_CALLID | sip::HDR_CSEQ | sip::HDR_FROM | sip::HDR_TO);
    sip::HeaderField* callId = sip::findHeader(req, sip::HeaderKind::CallId);
    const sip::CSeqBody* cseq = sip::getCSeq(req);
    const sip::FromToBody* from = sip::getFrom(req);
    const sip::FromToBody* to = sip::getTo(req);
    if (callId == nullptr || cseq == nullptr || from == nullptr || to == nullptr) return false;
    const sip::ViaBody& via = *req.topVia;
    k->callId = callId->value;
    k->fromTag = from->tag;
    k->toTag = to->tag;
    k->ruri = req.start.uri;
    k->branch = via.branch;
    k->sentBy = via.host;
    k->sentByPort = via.hasPort ? via.port : 0;
    k->viaText = via.text;
    k->cseq = cseq->number;
    k->method = static_cast<uint8_t>(req.method());
    k->rfc3261 = sip::viaBranchIsRfc3261(via);
    return true;
}

Cell* matchRequest(Bucket& bucket, const RequestKey& k, MatchKind* how) {
    for (Cell* c = bucket.head; c != nullptr; c = c->next) {
        if (c->cseq != k.cseq || c->piece(c->callId) != k.callId) continue;
        const MatchKind m = k.rfc3261 ? match3261(c, k) : match2543(c, k);
        if (m != MatchKind::None) {
            *how = m;
            return c;
        }
    }
    *how = MatchKind::None;
    return nullptr;
}

namespace {

bool getHex(std::string_view s, uint32_t* v) {
    if (s.empty() || s.size() > 8) return false;
    uint32_t r = 0;
    for (char c : s) {
        uint32_t d;
        if (c >= '0' && c <= '9') {
            d = static_cast<uint32_t>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = static_cast<uint32_t>(c - 'a' + 10);
        } else {
            return false;
        }
        r = (r << 4) | d;
    }
    *v = r;
    return true;
}

}  // namespace

size_t formatBranch(uint32_t bucket, uint32_t label, unsigned index, char* out) {
    size_t n = kBranchPrefix.size();
    kBranchPrefix.copy(out, n);
    n += sip::putHex(bucket, out + n);
    out[n++] = '.';
    n += sip::putHex(label, out + n);
    out[n++] = '.';
    if (index >= 10) out[n++] = static_cast<char>('0' + index / 10);
    out[n++] = static_cast<char>('0' + index % 10);
    return n;
}

bool parseBranch(std::string_view s, uint32_t* bucket, uint32_t* label, unsigned* index) {
    if (s.substr(0, kBranchPrefix.size()) != kBranchPrefix) return false;
    s.remove_prefix(kBranchPrefix.size());
    const size_t d1 = s.find('.');
    if (d1 == std::string_view::npos || !getHex(s.substr(0, d1), bucket)) return false;
    s.remove_prefix(d1 + 1);
    const size_t d2 = s.find('.');
    if (d2 == std::string_view::npos || !getHex(s.substr(0, d2), label)) return false;
    s.remove_prefix(d2 + 1);
    if (s.empty() || s.size() > 2) return false;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    *index = v;
    return true;
}

}  // namespace osprey::tm
