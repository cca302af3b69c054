// tmx's t_precheck_trans: a small shm table of requests being processed right now without a
// transaction yet, so a retransmission reaching another worker at the same moment is told
// (1) and dropped instead of starting the same work twice.
#pragma once
#include <cstdint>

namespace osprey::route {
struct MsgContext;
}

namespace osprey::tm {

bool initPrecheck();
int precheckTrans(route::MsgContext& mc);
void releasePrecheck(uint64_t key);

}  // namespace osprey::tm
