// Module parameter validation and assignment.
#include "core/module/param_apply.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace osprey::module {

const char* paramTypeName(ParamType t) {
    switch (t) {
        case ParamType::Int:
            return "integer";
        case ParamType::String:
            return "string";
        case ParamType::Bool:
            return "boolean";
        case ParamType::Float:
            return "float";
    }
    return "?";
}

namespace {

void writeDefault(const ParamSpec& p) {
    switch (p.type) {
        case ParamType::Int:
            *static_cast<int*>(p.target) = static_cast<int>(p.intDefault);
            break;
        case ParamType::Bool:
            *static_cast<bool*>(p.target) = p.boolDefault;
            break;
        case ParamType::Float:
            *static_cast<double*>(p.target) = p.floatDefault;
            break;
        case ParamType::String:
            *static_cast<std::string*>(p.target) = p.stringDefault;
            break;
    }
}

std::string prefix(const ModuleExport& mod, const config::Param& v) {
    std::string where = v.where.text();
    return (where.empty() ? "" : where + ": ") + "module '" + mod.name + "': parameter '" + v.name +
           "'";
}

std::string describe(const config::ParamValue& v) {
    return std::string(config::paramTypeName(config::paramType(v))) + " " +
           config::paramValueText(v);
}

// Returns an empty string on success, else what is wrong (after "module 'm': parameter 'p'").
std::string assign(const ParamSpec& p, const config::ParamValue& v) {
    char buf[160];
    switch (p.type) {
        case ParamType::Int: {
            int64_t n = 0;
            if (const auto* i = std::get_if<int64_t>(&v))
                n = *i;
            else if (const auto* b = std::get_if<bool>(&v))
                n = *b ? 1 : 0;
            else
                return " must be an integer, got " + describe(v);
            if (n < p.intMin || n > p.intMax) {
                std::snprintf(buf, sizeof buf,
                              " is %" PRId64 ", out of range %" PRId64 "..%" PRId64, n, p.intMin,
                              p.intMax);
                return buf;
            }
            *static_cast<int*>(p.target) = static_cast<int>(n);
            return {};
        }
        case ParamType::Bool: {
            bool b = false;
            if (const auto* x = std::get_if<bool>(&v))
                b = *x;
            else if (const auto* i = std::get_if<int64_t>(&v); i != nullptr && (*i == 0 || *i == 1))
                b = *i == 1;
            else
                return " must be a boolean (true/false or 0/1), got " + describe(v);
            *static_cast<bool*>(p.target) = b;
            return {};
        }
        case ParamType::Float: {
            double d = 0;
            if (const auto* x = std::get_if<double>(&v))
                d = *x;
            else if (const auto* i = std::get_if<int64_t>(&v))
                d = static_cast<double>(*i);
            else
                return " must be a number, got " + describe(v);
            if (!(d >= p.floatMin && d <= p.floatMax)) {
                std::snprintf(buf, sizeof buf, " is %g, out of range %g..%g", d, p.floatMin,
                              p.floatMax);
                return buf;
            }
            *static_cast<double*>(p.target) = d;
            return {};
        }
        case ParamType::String: {
            const auto* s = std::get_if<std::string>(&v);
            if (s == nullptr) return " must be a string, got " + describe(v);
            *static_cast<std::string*>(p.target) = *s;
            return {};
        }
    }
    return " has an unknown declared type";
}

const ParamSpec* findParam(const ModuleExport& mod, const std::string& name) {
    for (const ParamSpec& p : mod.params) {
        if (name == p.name) return &p;
    }
    return nullptr;
}

}  // namespace

bool applyParams(const ModuleExport& mod, std::span<const config::Param> params,
                 std::vector<std::string>* errors) {
    const size_t before = errors->size();
    for (const ParamSpec& p : mod.params) {
        if (p.target != nullptr) writeDefault(p);
    }
    for (const config::Param& v : params) {
        const ParamSpec* p = findParam(mod, v.name);
        if (p == nullptr) {
            std::string known;
            for (const ParamSpec& q : mod.params)
                known += (known.empty() ? "" : ", ") + std::string(q.name);
            std::string where = v.where.text();
            errors->push_back((where.empty() ? "" : where + ": ") + "module '" + mod.name +
                              "' has no parameter '" + v.name + "'" +
                              (known.empty() ? " (it takes none)" : " (it has: " + known + ")"));
            continue;
        }
        if (p->target == nullptr) {
            errors->push_back(prefix(mod, v) + " is declared without a variable");
            continue;
        }
        std::string why = assign(*p, v.value);
        if (!why.empty()) errors->push_back(prefix(mod, v) + why);
    }
    return errors->size() == before;
}

}  // namespace osprey::module
