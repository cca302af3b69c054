// Creating, referencing and freeing transactions (cell.h) and their branches in shm.
#pragma once
#include <string_view>

#include "core/net/endpoint.h"
#include "modules/tm/cell.h"

namespace osprey::sip {
struct SipMsg;
}
namespace osprey::route {
struct MsgContext;
}

namespace osprey::tm {

// Copies the request (one block: Cell header + the message + the transaction data of the
// modules with data on `mc`, route::MsgExtension::txSave) and records the offsets of its key
// fields; refs = 1 (the caller's). nullptr when out of shm (logged) or the request is too big
// or lacks Call-ID/CSeq/From/Via.
Cell* newCell(sip::SipMsg& msg, const net::RecvInfo& recv, const route::MsgContext* mc = nullptr);

// Hands the modules' transaction data back to a failure route's message (txAttach).
void attachTxData(Cell* c, route::MsgContext& mc);
// Releases it (txRelease) once: at the final reply upstream, when no failure route can run any
// more, so what it holds (dispatcher: a destination list replaced by a reload) is not kept for
// the wait timer; or when the cell is freed.
void releaseTxData(Cell* c);

// Cell lock held, once the final reply went upstream: frees what only choosing that reply
// needed (RFC 3261 §16.7) — the negative replies stored per branch and the DNS targets kept for
// failover — on every final branch, so a transaction in the wait state holds only what
// absorbing retransmissions needs. (The branch blocks themselves stay: a timer handler of a
// branch may have fired and be waiting for the lock, and it reads its branch then.)
void releaseAfterFinal(Cell* c);

inline void ref(Cell* c) {
    c->refs.fetch_add(1, std::memory_order_relaxed);
}
// Frees the cell, its branches and stored replies when the last reference goes.
void unref(Cell* c);

// A branch block: header + `reqLen` octets for the request as sent + `hopUri` (kept while
// the next hop's name resolves; may be empty).
Branch* newBranch(Cell* c, uint32_t reqLen, std::string_view hopUri = {});
// A shm copy of a resolution's targets for b (use_dns_failover); false when out of shm.
bool keepTargets(Branch* b, const dns::Answer& a, unsigned used);

// Replaces *slot with a shm copy of text (nullptr + false when out of shm; the old one is
// freed either way).
bool storeCopy(char** slot, uint32_t* len, std::string_view text);
// Frees a copy storeCopy made and that was taken out of its slot.
void freeCopy(char* p, uint32_t len);

}  // namespace osprey::tm
