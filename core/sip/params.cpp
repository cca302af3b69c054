// ParamIter and findParam over parameter lists the parsers have already validated.
#include "core/sip/params.h"

#include "core/sip/sip_lex.h"

namespace osprey::sip {

using namespace lex;

bool ParamIter::next(Param& out) {
    size_t p = skipLws(s_, pos_);
    if (p < s_.size() && s_[p] == ';') p = skipLws(s_, p + 1);
    if (p >= s_.size()) return false;
    const size_t ns = p;
    p = scanWhile(s_, p, kToken);
    if (p == ns) {
        ok_ = false;
        pos_ = s_.size();
        return false;
    }
    out.name = s_.substr(ns, p - ns);
    out.value = {};
    out.hasValue = false;
    size_t after = skipLws(s_, p);
    if (after < s_.size() && s_[after] == '=') {
        size_t vs = skipLws(s_, after + 1);
        size_t ve =
            (vs < s_.size() && s_[vs] == '"') ? scanQuoted(s_, vs) : scanWhile(s_, vs, kParamV);
        if (ve == std::string_view::npos || ve == vs) {
            ok_ = false;
            pos_ = s_.size();
            return false;
        }
        out.value = s_.substr(vs, ve - vs);
        out.hasValue = true;
        p = ve;
    }
    p = skipLws(s_, p);
    if (p < s_.size() && s_[p] != ';') {
        ok_ = false;
        pos_ = s_.size();
        return true;  // this one was complete; the rest is not a parameter list
    }
    pos_ = p;
    return true;
}

bool findParam(std::string_view params, std::string_view name, Param* out) {
    ParamIter it(params);
    Param p;
    while (it.next(p)) {
        if (equalsNoCase(p.name, name)) {
            if (out) *out = p;
            return true;
        }
    }
    return false;
}

std::string_view unquote(std::string_view v) {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
    return v;
}

}  // namespace osprey::sip
