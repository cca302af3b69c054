// Transaction memory: one block per cell (header + request), one per branch, one per stored
// reply.
#include "modules/tm/cell_mem.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/log/log.h"
#include "core/net/log_limit.h"
#include "core/route/msg_context.h"
#include "core/route/msg_extension.h"
#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/via.h"
#include "mem/shm.h"
#include "modules/tm/budget.h"
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
    budgetBytes(bytes);
}

Piece pieceOf(const sip::SipMsg& msg, std::string_view v) {
    if (v.empty()) return {};
    return Piece{static_cast<uint16_t>(v.data() - msg.data.data()),
                 static_cast<uint16_t>(v.size())};
}

}  // namespace

Cell* newCell(sip::SipMsg& msg, const net::RecvInfo& recv, const route::MsgContext* mc) {
    if (msg.data.size() > 0xFFFF || msg.topVia == nullptr) return nullptr;
    sip::parseHeaders(msg, sip::HDR_CALLID | sip::HDR_CSEQ | sip::HDR_FROM | sip::HDR_TO);
    sip::HeaderField* callId = sip::findHeader(msg, sip::HeaderKind::CallId);
    const sip::CSeqBody* cseq = sip::getCSeq(msg);
    const sip::FromToBody* from = sip::getFrom(msg);
    const sip::FromToBody* to = sip::getTo(msg);
    if (callId == nullptr || cseq == nullptr || from == nullptr || to == nullptr) return nullptr;

    const size_t txOff = (msg.data.size() + 7) & ~size_t{7};
    size_t txLen = 0;
    if (mc != nullptr)
        mc->forEachExtData([&](const route::MsgExtension& ext, void* data) {
            if (ext.txSize == nullptr || ext.txSave == nullptr) return;
            const uint32_t n = ext.txSize(data);
            if (n != 0) txLen += sizeof(TxRecord) + ((n + 7) & ~uint32_t{7});
        });
    const size_t bytes = sizeof(Cell) + (txLen != 0 ? txOff + txLen : msg.data.size());
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
    if (txLen != 0) {
        c->txOff = static_cast<uint32_t>(txOff);
        c->txLen = static_cast<uint32_t>(txLen);
        char* out = c->data() + txOff;
        const auto all = route::msgExtensions();
        mc->forEachExtData([&](const route::MsgExtension& ext, void* data) {
            if (ext.txSize == nullptr || ext.txSave == nullptr) return;
            const uint32_t n = ext.txSize(data);
            if (n == 0) return;
            uint32_t idx = 0;
            while (idx < all.size() && all[idx] != &ext) ++idx;
            auto* rec = new (out) TxRecord{idx, n};
            ext.txSave(data, rec + 1);
            out += sizeof(TxRecord) + ((n + 7) & ~uint32_t{7});
        });
    }
    stats::inc(counters().uas);
    stats::inc(counters().inuse);
    budgetCount(1);
    return c;
}

namespace {

// Calls f(ext, bytes) for every module record in the cell's transaction data.
template <class F>
void forEachTxRecord(Cell* c, F&& f) {
    const auto all = route::msgExtensions();
    char* p = c->data() + c->txOff;
    char* end = p + c->txLen;
    while (p < end) {
        auto* rec = reinterpret_cast<TxRecord*>(p);
        if (rec->ext < all.size()) f(*all[rec->ext], static_cast<void*>(rec + 1));
        p += sizeof(TxRecord) + ((rec->len + 7) & ~uint32_t{7});
    }
}

}  // namespace

void attachTxData(Cell* c, route::MsgContext& mc) {
    if (c->has(kTxReleased)) return;
    forEachTxRecord(c, [&](const route::MsgExtension& ext, void* bytes) {
        if (ext.txAttach != nullptr) ext.txAttach(mc, bytes);
    });
}

void releaseTxData(Cell* c) {
    if (c->txLen == 0 || c->has(kTxReleased)) return;
    c->flags |= kTxReleased;
    forEachTxRecord(c, [](const route::MsgExtension& ext, void* bytes) {
        if (ext.txRelease != nullptr) ext.txRelease(bytes);
    });
}

void unref(Cell* c) {
    if (c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    releaseTxData(c);
    for (unsigned i = 0; i < c->nBranches; ++i) {
        Branch* b = c->branches[i];
        if (b == nullptr) continue;
        if (b->reply != nullptr) {
            account(-static_cast<int64_t>(b->replyLen));
            mem::shmFree(b->reply);
        }
        if (b->targets != nullptr) {
            account(-static_cast<int64_t>(sizeof(dns::Answer)));
            mem::shmFree(b->targets);
        }
        account(-static_cast<int64_t>(sizeof(Branch) + b->reqLen + b->hopUriLen));
        mem::shmFree(b);
    }
    if (c->uasReply != nullptr) {
        account(-static_cast<int64_t>(c->uasReplyLen));
        mem::shmFree(c->uasReply);
    }
    account(
        -static_cast<int64_t>(sizeof(Cell) + (c->txLen != 0 ? c->txOff + c->txLen : c->reqLen)));
    const bool uasFinal = c->has(kUasFinal);
    c->~Cell();
    mem::shmFree(c);
    stats::dec(counters().inuse);
    budgetCount(-1);
    if (!uasFinal) stats::inc(counters().unanswered);
}

void releaseAfterFinal(Cell* c) {
    for (unsigned i = 0; i < c->nBranches; ++i) {
        Branch* b = c->branches[i];
        if (b == nullptr || !b->final) continue;
        if (b->reply != nullptr) {
            freeCopy(b->reply, b->replyLen);
            b->reply = nullptr;
            b->replyLen = 0;
        }
        if (b->targets != nullptr) {
            account(-static_cast<int64_t>(sizeof(dns::Answer)));
            mem::shmFree(b->targets);
            b->targets = nullptr;
        }
    }
}

Branch* newBranch(Cell* c, uint32_t reqLen, std::string_view hopUri) {
    const size_t bytes = sizeof(Branch) + reqLen + hopUri.size();
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
    b->hopUriLen = static_cast<uint16_t>(hopUri.size());
    hopUri.copy(b->data() + reqLen, hopUri.size());
    return b;
}

bool keepTargets(Branch* b, const dns::Answer& a, unsigned used) {
    if (b->targets == nullptr) {
        void* p = mem::shmAlloc(sizeof(dns::Answer));
        if (p == nullptr) {
            logNoMemory("DNS targets", sizeof(dns::Answer));
            return false;
        }
        account(static_cast<int64_t>(sizeof(dns::Answer)));
        b->targets = new (p) dns::Answer();
    }
    b->targets->count = a.count;
    b->targets->failure = a.failure;
    std::copy(a.targets, a.targets + a.count, b->targets->targets);
    b->targetIdx = static_cast<uint8_t>(used);
    return true;
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
