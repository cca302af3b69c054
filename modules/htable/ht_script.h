// What scripts reach besides KSR.htable.*: the pseudo-variables $sht(table=>key),
// $shtex(table=>key), $shtinc(table=>key), $shtitkey(iterator), $shtitval(iterator), and the
// per-process named iterators behind sht_iterator_* (Kamailio allows 4, named by up to 31
// characters). An iterator holds no lock between steps (table.h, Cursor), so a script that
// never calls sht_iterator_end blocks nobody.
#pragma once
#include <span>
#include <string_view>

#include "core/lua/lua_value.h"
#include "core/pv/pv_class.h"
#include "modules/htable/table.h"

namespace osprey::htable {

std::span<const pv::PvClass> pvClasses();

// Copies a value into this process's result buffer (valid until the next call).
lua::PvValue keepValue(const CellView& c);

// Kamailio's return codes (ki_ht_iterator_*).
int iteratorStart(std::string_view iname, std::string_view hname);
int iteratorNext(std::string_view iname);
int iteratorEnd(std::string_view iname);
int iteratorRm(std::string_view iname);
int iteratorSets(std::string_view iname, std::string_view value);
int iteratorSeti(std::string_view iname, int64_t value);
int iteratorSetex(std::string_view iname, int64_t exval);

}  // namespace osprey::htable
