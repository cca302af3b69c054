// The list every process routes with, and how a reload replaces it without a lock on the
// read side and without freeing memory someone may still read (docs/dispatcher.md).
//
// Readers (a selection, ds_is_from_list, an RPC dump) open a ReadScope: the process writes the
// current reader epoch into its own slot, then loads the list pointer. A reload publishes the
// new pointer, advances the epoch and puts the old list on the retired chain with that epoch.
// The old list is freed once (a) every process slot is idle or shows an epoch at least that
// new -- nobody can still hold the old pointer from a read -- and (b) no transaction still
// holds it for failover (List::refs, taken inside a read scope).
#pragma once
#include <cstdint>
#include <string>

#include "modules/dispatcher/ds_list.h"

namespace osprey::dispatcher {

// Sets up the shared part (master, before fork); false when out of shm.
bool initCurrent();
void destroyCurrent();  // master at shutdown: frees every list

class ReadScope {
public:
    ReadScope();
    ~ReadScope();
    ReadScope(const ReadScope&) = delete;
    ReadScope& operator=(const ReadScope&) = delete;
    List* list() const { return list_; }  // nullptr when nothing is loaded

private:
    List* list_;
    bool outer_;
};

// A reference that keeps `l` alive beyond a read scope (take it inside one).
void holdList(List* l);
void dropList(List* l);

// Builds a list from rows and publishes it; the previous one is retired. Serialized: two
// reloads at once run one after the other. False and *error when the rows are refused (the
// current list keeps serving).
bool publishRows(const std::vector<Row>& rows, std::string* error);

// Frees retired lists nobody can reach any more (any process; cheap when none are retired).
void reclaimRetired();

struct ReloadStats {
    uint64_t generation = 0;
    uint64_t reloads = 0;
    uint64_t refused = 0;
    uint32_t retired = 0;  // replaced lists not freed yet
};
ReloadStats reloadStats();

// dispatcher.ping_active: 1 sends keepalives, 0 does not.
int pingActive();
void setPingActive(int v);

}  // namespace osprey::dispatcher
