// What an RPC handler returns: a value tree, or an error as Kamailio reports one, a code and a
// text ("404 AOR not found", "400 invalid parameters", "500 out of memory"). Handlers never
// throw; they return one of these.
#pragma once
#include <string>
#include <utility>

#include "core/rpc/value.h"

namespace osprey::rpc {

struct Error {
    int code = 500;
    std::string text;
};

// Codes with a meaning of their own (Kamailio uses the SIP reply classes).
inline constexpr int kBadRequest = 400;
inline constexpr int kNotFound = 404;
inline constexpr int kInternal = 500;

class Result {
public:
    Result(Value v) : value_(std::move(v)) {}
    Result(Error e) : ok_(false), error_(std::move(e)) {}
    static Result fault(int code, std::string text) { return Result(Error{code, std::move(text)}); }
    // A success with no value (Kamailio's methods that only act): JSON shows {} or null.
    static Result empty() { return Result(Value()); }

    bool ok() const { return ok_; }
    const Value& value() const { return value_; }
    Value& value() { return value_; }
    const Error& error() const { return error_; }

private:
    bool ok_ = true;
    Value value_;
    Error error_;
};

}  // namespace osprey::rpc
