// log_format and log_prefix.
#include "core/app/log_settings.h"

#include <string>
#include <variant>

#include "core/log/log.h"
#include "core/route/log_prefix.h"

namespace osprey::app {

namespace {

struct DeclareSettings {
    DeclareSettings() {
        config::declareSetting("log_format", config::ParamType::String);
        config::declareSetting("log_prefix", config::ParamType::String);
    }
} const kDeclare;

}  // namespace

bool configureLogging(const HookContext& ctx) {
    log::Format format = log::Format::Text;
    if (const config::Param* p = ctx.cfg.setting("log_format")) {
        if (!log::parseFormat(std::get<std::string>(p->value), format)) {
            LM_ERR("%s: log_format must be \"text\" or \"json\"", p->where.text().c_str());
            return false;
        }
    }
    std::string prefix;
    if (const config::Param* p = ctx.cfg.setting("log_prefix")) {
        prefix = std::get<std::string>(p->value);
        std::string error;
        if (!route::setLogPrefix(prefix, &error)) {
            LM_ERR("%s: log_prefix: %s", p->where.text().c_str(), error.c_str());
            return false;
        }
    }
    log::setFormat(format);
    return true;
}

}  // namespace osprey::app
