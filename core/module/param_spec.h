// A module parameter as the module declares it: Kamailio's name, its type, default, bounds and
// the variable it sets. Built with the consteval helpers below, so a default outside its own
// bounds is a compile error. The loader writes the default first, then the configured value.
#pragma once
#include <cstdint>
#include <limits>
#include <string>

namespace osprey::module {

enum class ParamType : uint8_t { Int, String, Bool, Float };

const char* paramTypeName(ParamType t);  // "integer", "string", "boolean", "float"

struct ParamSpec {
    const char* name;
    ParamType type;
    void* target;  // int*, std::string*, bool* or double*, per type
    int64_t intDefault = 0;
    int64_t intMin = 0;
    int64_t intMax = 0;
    double floatDefault = 0;
    double floatMin = 0;
    double floatMax = 0;
    bool boolDefault = false;
    const char* stringDefault = "";
    const char* doc = "";
};

consteval ParamSpec intParam(const char* name, int* target, int def,
                             int min = std::numeric_limits<int>::min(),
                             int max = std::numeric_limits<int>::max(), const char* doc = "") {
    if (min > max || def < min || def > max) throw "intParam: default outside [min, max]";
    ParamSpec p{name, ParamType::Int, target};
    p.intDefault = def;
    p.intMin = min;
    p.intMax = max;
    p.doc = doc;
    return p;
}

consteval ParamSpec floatParam(const char* name, double* target, double def,
                               double min = -std::numeric_limits<double>::max(),
                               double max = std::numeric_limits<double>::max(),
                               const char* doc = "") {
    if (min > max || def < min || def > max) throw "floatParam: default outside [min, max]";
    ParamSpec p{name, ParamType::Float, target};
    p.floatDefault = def;
    p.floatMin = min;
    p.floatMax = max;
    p.doc = doc;
    return p;
}

consteval ParamSpec boolParam(const char* name, bool* target, bool def, const char* doc = "") {
    ParamSpec p{name, ParamType::Bool, target};
    p.boolDefault = def;
    p.doc = doc;
    return p;
}

consteval ParamSpec stringParam(const char* name, std::string* target, const char* def,
                                const char* doc = "") {
    ParamSpec p{name, ParamType::String, target};
    p.stringDefault = def;
    p.doc = doc;
    return p;
}

}  // namespace osprey::module
