// Destination state changes (ds_state.h). Flags are changed with compare-and-swap, so the ping
// process, a worker's ds_mark_dst and an RPC may race without losing each other's bits.
#include "modules/dispatcher/ds_state.h"

#include "core/log/log.h"
#include "modules/dispatcher/ds_module.h"

namespace osprey::dispatcher {

namespace {

// Replaces the state bits (kStateMask) by `bits`; the others (no ping, no DNS) stay.
uint32_t setBits(Dest& d, uint32_t bits) {
    uint32_t old = d.flags.load(std::memory_order_relaxed);
    // seq_cst: algorithm 10's keys follow the state (ds_load_keys.h).
    while (!d.flags.compare_exchange_weak(old, (old & ~kStateMask) | bits,
                                          std::memory_order_seq_cst)) {
    }
    return old;
}

void changed(List& l, Set& s, Dest& d, uint32_t old) {
    const uint32_t now = d.flags.load(std::memory_order_relaxed);
    if (usable(old) != usable(now)) {
        stateChanged(l, s);
        LM_NOTICE("dispatcher: destination %.*s (set %d) is now %s", static_cast<int>(d.uri.len),
                  d.uri.p, s.id, usable(now) ? "active" : "inactive");
    }
}

}  // namespace

bool parseState(std::string_view t, uint32_t* bits, bool* trying) {
    if (t.empty()) return false;
    *trying = false;
    uint32_t b = 0;
    switch (t[0]) {
        case 'a':
        case 'A':
        case '1':
            b = 0;
            break;
        case 'i':
        case 'I':
        case '0':
            b = kInactive;
            break;
        case 'd':
        case 'D':
        case '2':
            b = kDisabled;
            break;
        case 't':
        case 'T':
        case '3':
            b = kTrying;
            *trying = true;
            break;
        default:
            return false;
    }
    if (t.size() > 1) {
        if ((t[1] == 'p' || t[1] == 'P') && b != kDisabled) {
            b |= kProbing;
        } else {
            return false;
        }
    }
    *bits = b;
    return true;
}

void applyState(List& l, Set& s, Dest& d, uint32_t bits, bool trying) {
    if (trying) {
        const uint32_t failures = d.failures.fetch_add(1, std::memory_order_relaxed) + 1;
        if (failures >= static_cast<uint32_t>(settings().probingThreshold)) {
            bits = (bits & ~kTrying) | kInactive;
        }
    } else if ((bits & (kInactive | kDisabled)) == 0) {
        d.failures.store(0, std::memory_order_relaxed);
        d.successes.store(0, std::memory_order_relaxed);
    }
    changed(l, s, d, setBits(d, bits));
}

void pingOutcome(List& l, Set& s, Dest& d, bool ok) {
    const Settings& cfg = settings();
    const uint32_t flags = d.flags.load(std::memory_order_relaxed);
    if ((flags & kDisabled) != 0) return;
    if (ok) {
        d.failures.store(0, std::memory_order_relaxed);
        if ((flags & (kInactive | kTrying)) == 0) {
            if (cfg.probingMode == 0 && (flags & kProbing) != 0) {
                changed(l, s, d, setBits(d, flags & kStateMask & ~kProbing));
            }
            return;
        }
        const uint32_t ok2 = d.successes.fetch_add(1, std::memory_order_relaxed) + 1;
        if (ok2 < static_cast<uint32_t>(cfg.inactiveThreshold)) return;
        d.successes.store(0, std::memory_order_relaxed);
        // Back to active; probing mode 0 stops probing it, modes 1 and 3 keep the flag.
        uint32_t bits = flags & kProbing;
        if (cfg.probingMode == 0) bits = 0;
        changed(l, s, d, setBits(d, bits));
        return;
    }
    d.successes.store(0, std::memory_order_relaxed);
    const uint32_t failures = d.failures.fetch_add(1, std::memory_order_relaxed) + 1;
    // Kamailio: trying until the threshold, then inactive; probing continues.
    const uint32_t bits = failures >= static_cast<uint32_t>(cfg.probingThreshold)
                              ? (kInactive | kProbing)
                              : (kTrying | kProbing | (flags & kInactive));
    changed(l, s, d, setBits(d, bits));
}

void stateLetters(uint32_t flags, char out[3]) {
    if (flags & kInactive)
        out[0] = 'I';
    else if (flags & kDisabled)
        out[0] = 'D';
    else if (flags & kTrying)
        out[0] = 'T';
    else
        out[0] = 'A';
    out[1] = (flags & kProbing) ? 'P' : (flags & kNoPing) ? 'N' : 'X';
    out[2] = '\0';
}

}  // namespace osprey::dispatcher
