// Loading a table from, and saving it to, its SQLite table with Kamailio's htable schema
// (key_name, key_type, value_type, key_value, expires; column names per the *_column
// parameters) through core/db. Rows with key_type 1 form arrays: name[0], name[1], ... and
// name::size (array_size_suffix). With db_expires, the expires column (absolute seconds) is
// loaded and saved for tables with autoexpire; rows already expired are skipped.
#pragma once
#include <string>

#include "modules/htable/table.h"

namespace osprey::htable {

// Creates the SQL table when missing. False with *error on any database error.
bool dbEnsureSchema(Table* t, std::string* error);

// Loads rows into `into` (the table itself at start-up, or a scratch one for a reload);
// returns false with *error, and the rows loaded so far stay.
bool dbLoad(Table* t, Table* into, std::string* error);

// Replaces the SQL table's rows with the table's unexpired cells in one transaction.
bool dbSave(Table* t, std::string* error);

}  // namespace osprey::htable
