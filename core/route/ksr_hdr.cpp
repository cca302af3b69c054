// Kamailio's KEMI core "hdr" functions (KSR.hdr.*; core, no module, as in Kamailio):
//   append(text)                 header line(s) "Name: value\r\n" after the last header
//   insert(text)                 before the first header
//   append_after(text, name)     right after the first header called name (append if absent)
//   insert_before(text, name)    right before it (insert if absent)
//   remove(name)                 every header of that name (case-insensitive, compact forms
//                                equivalent: "f" is "From")
//   rmappend(name, text) / rminsert(name, text)   remove, then append / insert
//   is_present(name)             1 present, -1 absent
//   get(name) / gete(name)       first value; nil / "" when absent
// All of them act on the forwarded copy through the message's edits (MsgBuilder); like
// Kamailio's lumps, is_present/get keep seeing the received message. Text may hold several
// lines; the final CRLF may be left out. 1 ok, -1 bad text or an edit that does not fit.
#include <string_view>

#include "core/log/log.h"
#include "core/lua/builtin_exports.h"
#include "core/lua/export.h"
#include "core/lua/script_location.h"
#include "core/module/module_export.h"
#include "core/route/msg_context.h"
#include "core/sip/builder.h"
#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"
#include "core/sip/text.h"
#include "core/sip/uri_chars.h"

namespace osprey::route {

namespace {

constexpr int kMaxLines = 16;

struct Line {
    std::string_view name;
    std::string_view value;
};

// Splits "A: 1\r\nB: 2\r\n" into lines; false on an empty text, a line without a colon, a
// bad name or too many lines (values are checked by the builder).
bool splitLines(std::string_view text, Line* out, int* count) {
    *count = 0;
    while (!text.empty()) {
        size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) {
            if (text.empty()) break;  // a trailing empty line
            return false;
        }
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos || *count == kMaxLines) return false;
        Line l{sip::trim(line.substr(0, colon)), sip::trim(line.substr(colon + 1))};
        if (!sip::uri_chars::isToken(l.name)) return false;
        out[(*count)++] = l;
    }
    return *count > 0;
}

bool sameName(const sip::HeaderField& h, std::string_view name, sip::HeaderKind k) {
    return k != sip::HeaderKind::Other ? h.kind == k : sip::lex::equalsNoCase(h.name, name);
}

enum class Where { End, Start, After, Before };

int addLines(lua::Ctx& ctx, std::string_view text, Where where, std::string_view anchorName) {
    MsgContext* mc = ctx.route;
    if (mc == nullptr) return -1;
    Line lines[kMaxLines];
    int n = 0;
    if (!splitLines(text, lines, &n)) {
        char where[96];
        LM_ERR("%s: KSR.hdr: not a header line: '%.*s'",
               lua::scriptLocation(where, sizeof where).data(), static_cast<int>(text.size()),
               text.data());
        return -1;
    }
    sip::SipMsg& msg = mc->msg;
    sip::HeaderField* anchor = nullptr;
    if (where == Where::After || where == Where::Before) {
        anchor = sip::findHeaderByName(msg, anchorName);
        if (anchor == nullptr) where = where == Where::After ? Where::End : Where::Start;
    }
    // After the anchor is before whatever follows it.
    if (anchor != nullptr && where == Where::After) {
        if (!sip::scanAllHeaders(msg)) return -1;
        const uint32_t next = msg.indexOf(*anchor) + 1;
        if (next < msg.headerCount()) {
            anchor = &msg.header(next);
            where = Where::Before;
        } else {
            where = Where::End;
        }
    }
    sip::MsgBuilder& b = mc->builder();
    for (int i = 0; i < n; ++i) {
        sip::BuildError e = sip::BuildError::Ok;
        switch (where) {
            case Where::End:
                e = b.appendHeader(lines[i].name, lines[i].value);
                break;
            case Where::Start:
                e = b.prependHeader(lines[i].name, lines[i].value);
                break;
            default:
                e = b.insertHeaderBefore(*anchor, lines[i].name, lines[i].value);
                break;
        }
        if (e != sip::BuildError::Ok) {
            char where[96];
            LM_ERR("%s: KSR.hdr: cannot add '%.*s': %s",
                   lua::scriptLocation(where, sizeof where).data(),
                   static_cast<int>(lines[i].name.size()), lines[i].name.data(),
                   sip::buildErrorText(e));
            return -1;
        }
    }
    return 1;
}

int append(lua::Ctx& ctx, std::string_view text) noexcept {
    return addLines(ctx, text, Where::End, {});
}

int insert(lua::Ctx& ctx, std::string_view text) noexcept {
    return addLines(ctx, text, Where::Start, {});
}

int appendAfter(lua::Ctx& ctx, std::string_view text, std::string_view name) noexcept {
    return addLines(ctx, text, Where::After, name);
}

int insertBefore(lua::Ctx& ctx, std::string_view text, std::string_view name) noexcept {
    return addLines(ctx, text, Where::Before, name);
}

// A header some other edit already removed (loose_route, an earlier remove) stays removed:
// that is not an error here.
int remove(lua::Ctx& ctx, std::string_view name) noexcept {
    MsgContext* mc = ctx.route;
    if (mc == nullptr || name.empty()) return -1;
    sip::SipMsg& msg = mc->msg;
    if (!sip::scanAllHeaders(msg)) return -1;
    const sip::HeaderKind k = sip::lookupHeaderKind(name);
    sip::MsgBuilder& b = mc->builder();
    for (uint32_t i = 0; i < msg.headerCount(); ++i) {
        sip::HeaderField& h = msg.header(i);
        if (!sameName(h, name, k)) continue;
        const sip::BuildError e = b.removeHeader(h);
        if (e == sip::BuildError::Overlap) {
            LM_DBG("hdr: '%.*s' at %u already edited", static_cast<int>(h.name.size()),
                   h.name.data(), h.start);
        } else if (e != sip::BuildError::Ok) {
            return -1;
        }
    }
    return 1;
}

int rmAppend(lua::Ctx& ctx, std::string_view name, std::string_view text) noexcept {
    return remove(ctx, name) > 0 ? append(ctx, text) : -1;
}

int rmInsert(lua::Ctx& ctx, std::string_view name, std::string_view text) noexcept {
    return remove(ctx, name) > 0 ? insert(ctx, text) : -1;
}

int isPresent(lua::Ctx& ctx, std::string_view name) noexcept {
    if (ctx.msg == nullptr || name.empty()) return -1;
    return sip::findHeaderByName(*ctx.msg, name) != nullptr ? 1 : -1;
}

std::optional<std::string_view> get(lua::Ctx& ctx, std::string_view name) noexcept {
    if (ctx.msg == nullptr || name.empty()) return std::nullopt;
    const sip::HeaderField* h = sip::findHeaderByName(*ctx.msg, name);
    if (h == nullptr) return std::nullopt;
    return h->value;
}

std::string_view gete(lua::Ctx& ctx, std::string_view name) noexcept {
    return get(ctx, name).value_or(std::string_view());
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&append>("append", "hdr"),
    lua::fn<&insert>("insert", "hdr"),
    lua::fn<&appendAfter>("append_after", "hdr"),
    lua::fn<&insertBefore>("insert_before", "hdr"),
    lua::fn<&remove>("remove", "hdr"),
    lua::fn<&rmAppend>("rmappend", "hdr"),
    lua::fn<&rmInsert>("rminsert", "hdr"),
    lua::fn<&isPresent>("is_present", "hdr"),
    lua::fn<&get>("get", "hdr"),
    lua::fn<&gete>("gete", "hdr"),
};

constexpr module::ModuleExport kExport{
    .name = "core.hdr",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};

const lua::BuiltinExportRegistrar kRegister(kExport);

}  // namespace

}  // namespace osprey::route
