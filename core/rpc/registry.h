// The one registry of RPC methods every front end (binrpc, JSON-RPC, HTTP) calls into. Filled in
// the master before fork — the core's own methods, then each loaded module's (its description's
// `rpc` list) — and inherited by the control process. Lookup and argument checking live here so
// no front end checks parameters its own way.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/rpc/method.h"

namespace osprey::rpc {

// Adds methods; false with *error naming the duplicate when a name is already registered.
bool addMethods(std::span<const Method> methods, std::string_view owner, std::string* error);
// Forgets every method (master at shutdown; tests).
void clearMethods();

const Method* findMethod(std::string_view name);
// In registration order.
std::span<const Method* const> allMethods();

// Checks `args` against the method's parameters and converts them to the declared types (a
// numeric string for an integer, a number for a string), padding absent optional ones with
// null. Returns false with *error ("400 invalid parameter 'aor' (#2): ...").
bool checkArgs(const Method& m, std::vector<Value>& args, Error* error);

// Finds, checks and runs: what every front end does with a request.
Result invoke(const Method& m, std::vector<Value> args);

}  // namespace osprey::rpc
