#include "modules/usrloc/ul_rpc.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "modules/usrloc/commit_wait.h"
#include "modules/usrloc/redis_stats.h"
#include "modules/usrloc/slot_copy.h"
#include "modules/usrloc/usrloc_state.h"

namespace osprey::usrloc {

namespace {

Table* findTable(std::string_view name) {
    State& st = state();
    for (size_t i = 0; i < st.names.size(); ++i) {
        if (st.names[i] == name) return st.tables[i];
    }
    return nullptr;
}

// The AOR as the registrar stores it: without a sip:/sips: scheme, the user part only unless
// use_domain is set (then with the domain lower-cased). False when use_domain needs a domain.
bool normalizeAor(std::string_view in, std::string* out) {
    if (in.substr(0, 4) == "sip:") in.remove_prefix(4);
    if (in.substr(0, 5) == "sips:") in.remove_prefix(5);
    const size_t at = in.find('@');
    if (settings().useDomain == 0) {
        *out = std::string(in.substr(0, at));
        return true;
    }
    if (at == std::string_view::npos) return false;
    *out = std::string(in);
    for (size_t i = at + 1; i < out->size(); ++i)
        (*out)[i] = static_cast<char>(tolower(static_cast<unsigned char>((*out)[i])));
    return true;
}

rpc::Value contactValue(const ContactData& c, int64_t nowSec) {
    rpc::Value v = rpc::Value::structure();
    v.add("Address", c.uri);
    v.add("Expires", c.expires - nowSec);
    v.add("Q", c.q < 0 ? -1.0 : c.q / 1000.0);
    v.add("Call-ID", c.callId);
    v.add("CSeq", int64_t{c.cseq});
    v.add("User-Agent", c.userAgent);
    v.add("Received", c.received);
    v.add("Path", c.path);
    v.add("State", settings().dbMode == 0 ? "CS_NEW" : "CS_SYNC");
    v.add("Flags", int64_t{c.flags});
    v.add("CFlags", int64_t{0});
    v.add("Socket", c.socket.empty() ? std::string_view("[not set]") : c.socket);
    v.add("Methods", int64_t{-1});
    v.add("Ruid", "");
    v.add("Instance", c.instance);
    v.add("Reg-Id", int64_t{c.regId});
    v.add("Server-Id", int64_t{0});
    v.add("Tcpconn-Id", int64_t{-1});
    v.add("Keepalive", int64_t{0});
    v.add("Last-Keepalive", c.lastKeepalive);
    v.add("KA-Roundtrip", int64_t{0});
    v.add("Last-Modified", c.lastModified / 1000);
    rpc::Value wrap = rpc::Value::structure();
    wrap.add("Contact", std::move(v));
    return wrap;
}

// Collects one slot's bindings into "AoRs" entries (a record's bindings arrive together).
struct DumpState {
    rpc::Value* aors = nullptr;
    rpc::Value* contacts = nullptr;  // of the AOR being filled
    std::string lastAor;
    bool brief = false;
    int64_t now = 0;
    size_t records = 0;
};

void dumpBinding(void* user, std::string_view aor, const ContactData& c) {
    auto* d = static_cast<DumpState*>(user);
    if (d->contacts == nullptr || aor != d->lastAor) {
        ++d->records;
        d->lastAor = std::string(aor);
        rpc::Value entry = rpc::Value::structure();
        if (d->brief) {
            entry.add("AoR", aor);
            d->aors->push(std::move(entry));
            d->contacts = &d->aors->items().back();  // marks "this AOR was added"
            return;
        }
        rpc::Value info = rpc::Value::structure();
        info.add("AoR", aor);
        info.add("HashID", static_cast<int64_t>(aorHash(aor) & 0xFFFFFFFF));
        info.add("Contacts", rpc::Value::array());
        entry.add("Info", std::move(info));
        d->aors->push(std::move(entry));
        d->contacts = &d->aors->items().back().members()[0].second.members()[2].second;
    }
    if (!d->brief) d->contacts->push(contactValue(c, d->now));
}

// ul.dump [brief|full] [first_slot] [slots]: Kamailio's ul.dump, plus a page of slots so a
// table of millions of bindings can be read in parts (Stats: Next-Slot says where to go on).
rpc::Result ulDump(std::optional<std::string_view> mode, std::optional<int64_t> firstSlot,
                   std::optional<int64_t> slots) noexcept {
    if (mode && *mode != "brief" && *mode != "full")
        return rpc::Result::fault(rpc::kBadRequest, "the mode must be 'brief' or 'full'");
    if (firstSlot.value_or(0) < 0 || slots.value_or(1) < 1)
        return rpc::Result::fault(rpc::kBadRequest, "bad slot range");
    State& st = state();
    SlotCopy copy;
    rpc::Value domains = rpc::Value::array();
    for (size_t i = 0; i < st.names.size(); ++i) {
        Table* t = st.tables[i];
        const size_t total = slotCount(t);
        const size_t first = std::min(static_cast<size_t>(firstSlot.value_or(0)), total);
        const size_t end = slots ? std::min(total, first + static_cast<size_t>(*slots)) : total;
        rpc::Value dom = rpc::Value::structure();
        dom.add("Domain", st.names[i]);
        dom.add("Size", static_cast<int64_t>(total));
        rpc::Value& aors = dom.add("AoRs", rpc::Value::array());
        DumpState d;
        d.aors = &aors;
        d.brief = mode && *mode == "brief";
        d.now = nowSeconds();
        size_t maxSlot = 0;
        // One slot locked at a time, and only for copying its bindings out (slot_copy.h): the
        // answer is built after the lock is released. The longest hold is in the answer: it is
        // what a SIP worker wanting that slot could have waited.
        int64_t maxHeldNs = 0;
        for (size_t s = first; s < end; ++s) {
            const size_t before = d.records;
            d.contacts = nullptr;
            copy.clear();
            int64_t heldNs = 0;
            tableVisitSlot(t, s, d.now, &SlotCopy::collect, &copy, &heldNs);
            maxHeldNs = std::max(maxHeldNs, heldNs);
            copy.forEach(
                [&](std::string_view aor, const ContactData& c) { dumpBinding(&d, aor, c); });
            maxSlot = std::max(maxSlot, d.records - before);
        }
        rpc::Value stats = rpc::Value::structure();
        stats.add("Records", static_cast<int64_t>(d.records));
        stats.add("Max-Slots", static_cast<int64_t>(maxSlot));
        stats.add("Max-Slot-Us", maxHeldNs / 1000);
        if (end < total) stats.add("Next-Slot", static_cast<int64_t>(end));
        dom.add("Stats", std::move(stats));
        rpc::Value wrap = rpc::Value::structure();
        wrap.add("Domain", std::move(dom));
        domains.push(std::move(wrap));
    }
    rpc::Value top = rpc::Value::structure();
    top.add("Domains", std::move(domains));
    return top;
}

struct LookupState {
    rpc::Value* contacts;
    int64_t now;
};

void lookupBinding(void* user, const ContactData& c) {
    auto* l = static_cast<LookupState*>(user);
    l->contacts->push(contactValue(c, l->now));
}

rpc::Result ulLookup(std::string_view table, std::string_view aorIn) noexcept {
    Table* t = findTable(table);
    if (t == nullptr) return rpc::Result::fault(rpc::kInternal, "Domain table not found");
    std::string aor;
    if (!normalizeAor(aorIn, &aor))
        return rpc::Result::fault(rpc::kInternal, "Domain missing in AOR");
    rpc::Value top = rpc::Value::structure();
    top.add("AoR", aor);
    rpc::Value& contacts = top.add("Contacts", rpc::Value::array());
    LookupState l{&contacts, nowSeconds()};
    if (api().get(t, aor, &lookupBinding, &l) <= 0)
        return rpc::Result::fault(rpc::kNotFound, "AOR not found");
    return top;
}

rpc::Result ulRm(std::string_view table, std::string_view aorIn) noexcept {
    Table* t = findTable(table);
    if (t == nullptr) return rpc::Result::fault(rpc::kInternal, "Domain table not found");
    std::string aor;
    if (!normalizeAor(aorIn, &aor))
        return rpc::Result::fault(rpc::kInternal, "Domain missing in AOR");
    const int n = api().remove(t, aor, "");
    if (n < 0) return rpc::Result::fault(rpc::kInternal, "Failed to delete AOR");
    if (n == 0) return rpc::Result::fault(rpc::kNotFound, "AOR not found");
    return rpc::Result::empty();
}

rpc::Result ulRmContact(std::string_view table, std::string_view aorIn,
                        std::string_view contact) noexcept {
    Table* t = findTable(table);
    if (t == nullptr) return rpc::Result::fault(rpc::kInternal, "Domain table not found");
    std::string aor;
    if (!normalizeAor(aorIn, &aor))
        return rpc::Result::fault(rpc::kInternal, "Domain missing in AOR");
    if (api().get(t, aor, nullptr, nullptr) <= 0)
        return rpc::Result::fault(rpc::kNotFound, "AOR not found");
    const int n = api().remove(t, aor, contact);
    if (n < 0) return rpc::Result::fault(rpc::kInternal, "Internal error (can't delete contact)");
    if (n == 0) return rpc::Result::fault(rpc::kNotFound, "Contact not found");
    return rpc::Result::empty();
}

rpc::Result ulAdd(std::string_view table, std::string_view aorIn, std::string_view contact,
                  int64_t expires, std::optional<double> q, std::optional<std::string_view> path,
                  std::optional<int64_t> flags, std::optional<int64_t> cflags,
                  std::optional<int64_t> methods) noexcept {
    (void)cflags;
    (void)methods;
    Table* t = findTable(table);
    if (t == nullptr) return rpc::Result::fault(rpc::kInternal, "Domain table not found");
    std::string aor;
    if (!normalizeAor(aorIn, &aor))
        return rpc::Result::fault(rpc::kInternal, "Domain missing in AOR");
    if (expires <= 0 || expires > 10 * 365 * 86400)
        return rpc::Result::fault(rpc::kBadRequest,
                                  "expires must be 1..315360000 seconds (no permanent contacts)");
    if (contact.empty() || contact.size() > kMaxUriLen || aor.empty() || aor.size() > kMaxAorLen ||
        (path && path->size() > kMaxPathLen))
        return rpc::Result::fault(rpc::kBadRequest, "contact, AOR or path empty or too long");
    if (q && (*q < 0 || *q > 1))
        return rpc::Result::fault(rpc::kBadRequest, "q must be between 0 and 1");
    const int64_t now = nowSeconds();
    ContactData c;
    c.uri = contact;
    // A Call-ID of its own and a CSeq that grows, so a later ul.add refreshes this binding.
    c.callId = "osprey-rpc-ul.add";
    c.cseq = static_cast<uint32_t>(now);
    c.path = path.value_or("");
    c.userAgent = "ospreyctl";
    c.q = q ? static_cast<int>(*q * 1000 + 0.5) : -1;
    c.flags = static_cast<uint32_t>(flags.value_or(0));
    c.expires = now + expires;
    c.lastModified = nowMillis();
    switch (api().save(t, aor, std::span<const ContactData>(&c, 1), false, 0, true, nullptr,
                       nullptr, nullptr)) {
        case SaveStatus::Ok:
            return rpc::Result::empty();
        case SaveStatus::InvalidCSeq:
            return rpc::Result::fault(rpc::kInternal, "Can't update contact (CSeq)");
        case SaveStatus::TooManyContacts:
            return rpc::Result::fault(rpc::kInternal, "Can't insert contact (max contacts)");
        case SaveStatus::NoMemory:
            return rpc::Result::fault(rpc::kInternal, "Can't insert contact (out of memory)");
        case SaveStatus::NotDurable:
            return rpc::Result::fault(rpc::kInternal, "Can't insert contact (database)");
        case SaveStatus::Unavailable:
            return rpc::Result::fault(rpc::kInternal, "Can't insert contact (store down)");
    }
    return rpc::Result::fault(rpc::kInternal, "Operation failed");
}

rpc::Result ulFlush() noexcept {
    State& st = state();
    if (st.ring == nullptr)
        return rpc::Result::fault(rpc::kInternal, "Command is not supported in db_mode=0");
    const uint64_t seq = st.ring->lastSeq();
    if (seq == 0) return rpc::Result::empty();
    st.ring->requestFlush();
    const CommitResult r =
        st.ring->commits().wait(seq, static_cast<uint32_t>(settings().dbTimeoutMs));
    if (r != CommitResult::Committed)
        return rpc::Result::fault(rpc::kInternal,
                                  std::string("Operation failed: ") + commitResultText(r));
    return rpc::Result::empty();
}

rpc::Result ulStoreStats() noexcept {
    return storeStatsRpc();
}

constexpr rpc::Method kMethods[] = {
    rpc::method<&ulDump>("ul.dump", "mode first_slot slots",
                         "Dump user location tables; mode 'brief' lists only the AORs; "
                         "first_slot and slots dump a page of the hash slots (Stats: "
                         "Next-Slot)."),
    rpc::method<&ulLookup>("ul.lookup", "table aor", "Dump the contacts of an AOR."),
    rpc::method<&ulRm>("ul.rm", "table aor", "Delete an AOR from a usrloc table."),
    rpc::method<&ulRmContact>("ul.rm_contact", "table aor contact",
                              "Delete a contact of an AOR from a usrloc table."),
    rpc::method<&ulAdd>("ul.add", "table aor contact expires q path flags cflags methods",
                        "Add a new contact for an address of record."),
    rpc::method<&ulFlush>("ul.flush", "", "Flush the queued changes to the database now."),
    rpc::method<&ulStoreStats>("ul.store_stats", "",
                               "Location store counters: operations by result, latency, cache "
                               "hit ratio, queue depth."),
};

}  // namespace

std::span<const rpc::Method> rpcMethods() {
    return kMethods;
}

}  // namespace osprey::usrloc
