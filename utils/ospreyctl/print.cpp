#include "utils/ospreyctl/print.h"

#include <cstdio>

namespace osprey::ctl {

namespace {

bool scalar(const rpc::Value& v) {
    return !v.isArray() && !v.isStruct();
}

std::string scalarText(const rpc::Value& v) {
    switch (v.type()) {
        case rpc::Value::Type::Null:
            return "(none)";
        case rpc::Value::Type::Int:
            return std::to_string(v.asInt());
        case rpc::Value::Type::Double: {
            char buf[64];
            snprintf(buf, sizeof buf, "%g", v.asDouble());
            return buf;
        }
        case rpc::Value::Type::String:
            return v.asString();
        default:
            return "";
    }
}

void print(const rpc::Value& v, int indent, std::string* out);

// A struct's members or an array's items, each line starting at `indent` spaces.
void printMembers(const rpc::Value& v, int indent, std::string* out) {
    const std::string pad(static_cast<size_t>(indent), ' ');
    if (v.isStruct()) {
        if (v.members().empty()) *out += pad + "{}\n";
        for (const rpc::Value::Member& m : v.members()) {
            if (scalar(m.second)) {
                *out += pad + m.first + ": " + scalarText(m.second) + "\n";
            } else {
                *out += pad + m.first + ":\n";
                print(m.second, indent + 2, out);
            }
        }
        return;
    }
    if (v.items().empty()) *out += pad + "[]\n";
    for (const rpc::Value& e : v.items()) {
        if (scalar(e)) {
            *out += pad + "- " + scalarText(e) + "\n";
            continue;
        }
        // "- " then the element's first line; the rest lines up under it.
        std::string inner;
        printMembers(e, indent + 2, &inner);
        inner.replace(static_cast<size_t>(indent), 2, "- ");
        *out += inner;
    }
}

void print(const rpc::Value& v, int indent, std::string* out) {
    if (scalar(v)) {
        *out += std::string(static_cast<size_t>(indent), ' ') + scalarText(v) + "\n";
        return;
    }
    printMembers(v, indent, out);
}

}  // namespace

std::string printTree(const rpc::Value& v) {
    std::string out;
    print(v, 0, &out);
    return out;
}

}  // namespace osprey::ctl
