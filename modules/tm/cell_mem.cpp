// Transaction memory: one block per cell (header + request), one per branch, one per stored
// reply.
#include "modules/tm/cell_mem.h"

#include <cstring>
#include <new>

#include "core/log/log.h"
#include "core/net/log_limit.h"
#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/via.h"
#include "mem/shm.h"
#include "modules/tm/stats.h"

namespace osprey::tm {

namespace {

void logNoMemory(const char* what, size_t bytes) {
    static net::LogLimit limit;
    uint64_t skipped = 0;
    if (limit.allow(&skipped)) {
        LM_ERR("tm: out of shared memory for %s (%zu bytes; %lu more not logged)", what, bytes,
               static_cast<unsigned long>(skipped));
    }
}

void account(int64_t bytes) {
    stats::add(counters().shmBytes, bytes);
}

Piece pieceOf(const sip::SipMsg& msg, std::string_view v) {
    if (v.empty()) return {};
    return Piece{static_cast<uint16_t>(v.data() - msg.data.data()),
                 static_cast<uint16_t>(v.size())};
}

}  // namespace

Cell* newCell(sip::SipMsg& msg, const net::RecvInfo& recv) {
    if (msg.data.size() > 0xFFFF || msg.topVia == nullptr) return nullptr;
    sip::parseHeaders(msg, sip::HDR_CALLID | sip::HDR_CSEQ | sip::HDR_FROM | sip::HDR_TO);
    sip::HeaderField* callId = sip::findHeader(msg, sip::HeaderKind::CallId);
    const sip::CSeqBody* cseq = sip::getCSeq(msg);
    const sip::FromToBody* from = sip::getFrom(msg);
    const sip::FromToBody* to = sip::getTo(msg);
    if (callId == nullptr || cseq == nullptr || from == nullptr || to == nullptr) return nullptr;

    const size_t bytes = sizeof(Cell) + msg.data.size();
    void* p = mem::shmAlloc(bytes);
    if (p == nullptr) {
        logNoMemory("a transaction", bytes);
        stats::inc(counters().outOfMemory);
        return nullptr;
    }
    account(static_cast<int64_t>(bytes));
    Cell* c = new (p) Cell();
    c->refs.store(1, std::memory_order_relaxed);
    c->reqLen = static_cast<uint32_t>(msg.data.size());
    std::memcpy(c->data(), msg.data.data(), msg.data.size());
    c->recv = recv;
    c->method = msg.method();
    c->cseq = cseq->number;
    const sip::ViaBody& via = *msg.topVia;
    c->ruri = pieceOf(msg, msg.start.uri);
    c->methodText = pieceOf(msg, msg.start.methodText);
    c->callId = pieceOf(msg, callId->value);
    c->fromTag = pieceOf(msg, from->tag);
    c->toTag = pieceOf(msg, to->tag);
    c->branch = pieceOf(msg, via.branch);
    c->sentBy = pieceOf(msg, via.host);
    c->sentByPort = via.hasPort ? via.port : 0;
    c->viaText = pieceOf(msg, via.text);
    stats::inc(counters().uas);
    stats::inc(counters().inuse);
    return c;
}

void unref(Cell* c) {
    if (c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    for (unsigned i = 0; i < c->nBranches; ++i) {
        Branch* b = c->branches[i];
        if (b == nullptr) continue;
        if (b->reply != nullptr) {
            account(-static_cast<int64_t>(b->replyLen));
            mem::shmFree(b->reply);
        }
        account(-static_cast<int64_t>(sizeof(Branch) + b->reqLen));
        mem::shmFree(b);
    }
    if (c->uasReply != nullptr) {
        account(-static_cast<int64_t>(c->uasReplyLen));
        mem::shmFree(c->uasReply);
    }
    account(-static_cast<int64_t>(sizeof(Cell) + c->reqLen));
    const bool uasFinal = c->has(kUasFinal);
    c->~Cell();
    mem::shmFree(c);
    stats::dec(counters().inuse);
    if (!uasFinal) stats::inc(counters().unanswered);
}

Branch* newBranch(Cell* c, uint32_t reqLen) {
    const size_t bytes = sizeof(Branch) + reqLen;
    void* p = mem::shmAlloc(bytes);
    if (p == nullptr) {
        logNoMemory("a branch", bytes);
        stats::inc(counters().outOfMemory);
        return nullptr;
    }
    account(static_cast<int64_t>(bytes));
    Branch* b = new (p) Branch();
    b->cell = c;
    b->reqLen = reqLen;
    return b;
}

void freeCopy(char* p, uint32_t len) {
    account(-static_cast<int64_t>(len));
    mem::shmFree(p);
}

bool storeCopy(char** slot, uint32_t* len, std::string_view text) {
    if (*slot != nullptr) {
        account(-static_cast<int64_t>(*len));
        mem::shmFree(*slot);
    }
    *slot = nullptr;
    *len = 0;
    if (text.empty()) return true;
    char* p = static_cast<char*>(mem::shmAlloc(text.size()));
    if (p == nullptr) {
        logNoMemory("a reply", text.size());
        stats::inc(counters().outOfMemory);
        return false;
    }
    account(static_cast<int64_t>(text.size()));
    std::memcpy(p, text.data(), text.size());
    *slot = p;
    *len = static_cast<uint32_t>(text.size());
    return true;
}

}  // namespace osprey::tm
