// Where the address table's rows come from: Kamailio's address file or its `address` table in
// SQLite (core/db/, docs/db.md). Both read into private memory; the caller builds the shm
// table from the rows (address_table.h).
#pragma once
#include <string>
#include <vector>

#include "modules/permissions/address_table.h"

namespace osprey::permissions {

// Kamailio's address file: one row per line, "group address [mask [port [tag]]]", separated
// by blanks; '#' starts a comment (whole line or end of line). A row's id is its line number.
bool loadAddressFile(const std::string& path, std::vector<AddressRow>* rows, std::string* error);

// Kamailio's schema (id, grp, ip_addr, mask, port, tag), created when missing.
bool createAddressSchema(const std::string& dbUrl, const std::string& table, std::string* error);
bool loadAddressDb(const std::string& dbUrl, const std::string& table,
                   std::vector<AddressRow>* rows, std::string* error);

}  // namespace osprey::permissions
