// Where destination lists come from: Kamailio's dispatcher.list text file or the `dispatcher`
// table of an SQLite database (core/db/). Both give rows (ds_list.h) or an error that names
// the place: "dispatcher.list:7: flags 'x' is not a number", "dispatcher table row id 3: ...".
#pragma once
#include <string>
#include <vector>

#include "modules/dispatcher/ds_list.h"

namespace osprey::dispatcher {

// Line format: setid destination [flags [priority [attrs]]]; '#' starts a comment; flags may be
// hexadecimal (0x8).
bool readListFile(const std::string& path, std::vector<Row>* rows, std::string* error);

// Columns id, setid, destination, flags, priority, attrs, description of `table`; the table is
// created (Kamailio's schema) when missing.
bool readListTable(const std::string& dbUrl, const std::string& table, std::vector<Row>* rows,
                   std::string* error);

}  // namespace osprey::dispatcher
