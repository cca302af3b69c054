#include "core/rpc/value.h"

namespace osprey::rpc {

const Value* Value::find(std::string_view name) const {
    for (const Member& m : members_) {
        if (m.first == name) return &m.second;
    }
    return nullptr;
}

const char* Value::typeName(Type t) {
    switch (t) {
        case Type::Null:
            return "null";
        case Type::Int:
            return "integer";
        case Type::Double:
            return "double";
        case Type::String:
            return "string";
        case Type::Array:
            return "array";
        case Type::Struct:
            return "struct";
    }
    return "?";
}

}  // namespace osprey::rpc
