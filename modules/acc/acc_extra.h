// Kamailio's log_extra / db_extra: "name=$pv;name2=$pv2" — extra attributes of an accounting
// record, read from the request's pseudo-variables when the record is made.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/pv/pv_name.h"

namespace osprey::route {
struct MsgContext;
}

namespace osprey::acc {

struct Extra {
    std::string name;  // the log attribute and the database column
    std::string pv;    // "$fU"
    pv::PvSpec spec;   // views into pv
};

// Parses the definition; false with *error on a bad pair or an unknown pseudo-variable. The
// names must be plain identifiers (they become column names).
bool parseExtras(std::string_view def, std::vector<Extra>& out, std::string* error);

// The value of one extra as text (empty for $null), written to buf when it is a number.
std::string_view extraValue(route::MsgContext& mc, const Extra& e, char (&buf)[24]);

}  // namespace osprey::acc
