// What usrloc offers other modules (registrar) through ModuleExport::api:
//
//     const usrloc::Api* ul = module::loadedModules().api<usrloc::Api>("usrloc");
//     usrloc::Table* t = ul->table("location");
//
// Every call locks one hash slot for its duration and never touches the database: changes are
// handed to the usrloc process through a ring in shm (db_mode 1 and 2). With db_mode 2
// (write-back) a SIP worker never waits for SQLite. With db_mode 1 (write-through) the caller's
// answer must not claim a binding a crash could lose: save and remove return only once the
// usrloc process has committed the change (group commit, see commit_wait.h; the wait holds no
// lock), or save hands out a ticket and the answer is sent by the usrloc process after the
// commit (replyWhenWritten). Bindings whose expiry has passed are never reported, whether or
// not the expiry timer has removed them yet.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "core/timer/clock.h"

namespace osprey::usrloc {

// One binding (RFC 3261 §10.3), as a REGISTER asks for it or as the table holds it. In the
// latter case the texts point into shm and are only valid inside the callback that got them.
struct ContactData {
    std::string_view uri;
    std::string_view callId;
    std::string_view path;      // Path header values, comma separated (RFC 3327)
    std::string_view received;  // "sip:ip:port[;transport=x]" the REGISTER came from
    std::string_view userAgent;
    std::string_view instance;  // +sip.instance as written (RFC 5626), empty when absent
    std::string_view socket;    // listen socket the REGISTER came in on: "udp:127.0.0.1:5060"
    uint32_t cseq = 0;
    uint32_t regId = 0;  // 0 = none
    int q = -1;          // thousandths, -1 = not given
    uint32_t flags = 0;
    int64_t expires = 0;       // absolute wall-clock seconds; in an update, 0 removes
    int64_t lastModified = 0;  // wall-clock milliseconds
    // Wall-clock seconds of the last sign of life: the save, or an answer to a NAT keepalive
    // (Api::keepalive). Memory only; a loaded binding starts from its lastModified.
    int64_t lastKeepalive = 0;
};

// Limits on what one binding may hold (longer texts are refused before they reach shm).
inline constexpr size_t kMaxUriLen = 512;
inline constexpr size_t kMaxCallIdLen = 255;
inline constexpr size_t kMaxPathLen = 1024;
inline constexpr size_t kMaxUserAgentLen = 255;
inline constexpr size_t kMaxInstanceLen = 255;
inline constexpr size_t kMaxAorLen = 255;
inline constexpr size_t kMaxSocketLen = 64;

enum class SaveStatus : uint8_t {
    Ok,
    InvalidCSeq,      // same Call-ID, lower CSeq than the stored binding: nothing applied
    TooManyContacts,  // would exceed max_contacts: nothing applied
    NoMemory,         // shm exhausted (part of the update may be applied)
    NotDurable,       // db_mode 1: applied in memory, but the database did not confirm it (write
                      // failed, usrloc process down, queue full or no commit within the bound)
    Unavailable,      // store = "redis" is unreachable and redis_down_policy says reject (or
                      // sync_write): nothing applied; answer 503 with Retry-After
};

struct Table;  // opaque; lives in shm

// Called once per current binding, with the slot locked: copy what you need, do not call
// back into usrloc.
using BindingFn = void (*)(void* user, const ContactData& c);

// db_mode 1: what a save that did not wait must still see committed before it is answered.
struct WriteTicket {
    uint64_t seq = 0;      // the change-ring sequence number covering the change
    bool pending = false;  // false: nothing to wait for (not db_mode 1, or memory-only save)
};

struct Api {
    Table* (*table)(std::string_view name);  // nullptr when no such table was created
    bool (*useDomain)();
    // Applies a REGISTER's contacts to `aor` as one step (RFC 3261 §10.3 steps 7-8): an update
    // with expires 0 removes its binding, others add or refresh; a binding is matched by
    // +sip.instance (and reg-id) when both sides have one, else by URI. removeAll drops every
    // binding ("Contact: *"). maxContacts 0 = no limit. persist false keeps the change out of
    // the database (save flag 0x01). Afterwards `fn` sees every current binding.
    // db_mode 1: with ticket == nullptr save returns after the commit (NotDurable when there
    // was none); with a ticket it returns at once and the caller answers through
    // replyWhenWritten or waitWritten.
    SaveStatus (*save)(Table* t, std::string_view aor, std::span<const ContactData> updates,
                       bool removeAll, uint32_t maxContacts, bool persist, BindingFn fn, void* user,
                       WriteTicket* ticket);
    // Queues a UDP answer for the usrloc process to send once the ticket's change is resolved:
    // `ok` when committed, `failed` when not, from listen socket `socket` to `address`
    // (sockaddr bytes). False when it cannot be queued: then use waitWritten.
    bool (*replyWhenWritten)(const WriteTicket& t, std::string_view aor, int socket,
                             std::string_view address, std::string_view ok,
                             std::string_view failed);
    // Waits (bounded by db_timeout, no lock held) for the ticket's commit; false (logged) when
    // there was none.
    bool (*waitWritten)(const WriteTicket& t, std::string_view aor);
    // Visits the unexpired bindings of aor; returns how many.
    int (*get)(Table* t, std::string_view aor, BindingFn fn, void* user);
    // Removes every binding of aor (or only the one with this URI when uri is not empty);
    // returns how many were removed, -1 when db_mode 1 could not confirm it in the database.
    int (*remove)(Table* t, std::string_view aor, std::string_view uri);

    // For walkers that must not hold a lock for long (the NAT pinger): the tables by index
    // (nullptr past the last), their slot count, and the unexpired bindings of one slot (locked
    // for the call only; a record's bindings come one after another with the same aor).
    Table* (*tableAt)(size_t index);
    size_t (*slots)(const Table* t);
    size_t (*visitSlot)(Table* t, size_t slot,
                        void (*fn)(void* user, std::string_view aor, const ContactData& c),
                        void* user);
    // Records a sign of life of binding `uri` of aor (its lastKeepalive := now); false when there
    // is no such binding.
    bool (*keepalive)(Table* t, std::string_view aor, std::string_view uri);
    // The nat_bflag parameter: the flag bit (0..31) of bindings behind a NAT, -1 when unset.
    int (*natBflag)();
};

// Wall-clock time as usrloc stores it (absolute, so a restart keeps the remaining expiry).
inline int64_t nowMillis() {
    return timer::wallMs();
}
inline int64_t nowSeconds() {
    return nowMillis() / 1000;
}

}  // namespace osprey::usrloc
