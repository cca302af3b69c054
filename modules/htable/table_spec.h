// Kamailio's htable definition strings: "name=>attr=value;attr=value;..." with the attributes
// size, autoexpire, initval, updateexpire, dbtable, dbmode and dmqreplicate. Osprey's config
// holds a module parameter once, so one `htable` string may define several tables, each
// starting at its "name=>": "ipban=>size=8;autoexpire=300;a=>size=4;".
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "modules/htable/table.h"

namespace osprey::htable {

// Appends the tables defined in `text` to *out; false with *error saying what is wrong (the
// table and the attribute). Unknown attributes and `cols` (packed multi-column values) are
// refused; dmqreplicate is accepted and ignored (there is no DMQ), with a warning logged by
// the caller from *warning.
bool parseTableSpecs(std::string_view text, std::vector<TableSpec>* out, std::string* error,
                     std::string* warning);

}  // namespace osprey::htable
