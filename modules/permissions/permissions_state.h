// The permissions module's state shared by its files: parameters, the published address table
// and the loader that (re)builds it.
#pragma once
#include <string>

#include "modules/permissions/address_table.h"
#include "modules/permissions/published_table.h"

namespace osprey::permissions {

struct Settings {
    std::string dbUrl;                     // db_url: "sqlite:///path.db"
    std::string addressTable = "address";  // address_table
    std::string addressFile;               // address_file (wins over db_url, as in Kamailio)
    int dbMode = 0;                        // db_mode: accepted; the address table is always cached
    std::string peerTagAvp;                // peer_tag_avp: where a match's tag goes
    int maxSubnets = 512;                  // max_subnets
    int reloadDelta = 5;                   // reload_delta: seconds between two RPC reloads
};
extern Settings g_settings;

PublishedTable* published();  // nullptr before init
void setPublished(PublishedTable* p);

// Reads the rows from the file or the database and builds a new table in shm; nullptr with
// *error set on failure (the current table stays).
AddressTable* loadTable(std::string* error);
// Loads and publishes; the old table is freed once no lookup holds it.
bool reloadTable(std::string* error);

void freeTable(void* t);

}  // namespace osprey::permissions
