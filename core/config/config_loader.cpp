// Reads the libconfig file into a Config and checks it (docs/design.md §7). Every problem becomes a
// ConfigError naming file:line: libconfig reports the line of a syntax error, and every
// Setting knows the line it came from, which we use for the semantic checks.
#include <libconfig.h++>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

#include "core/config/config.h"
#include "core/config/declared_settings.h"

namespace osprey::config {

namespace {

namespace fs = std::filesystem;
using libconfig::Setting;

// Thrown inside the loader only (start-up path) and turned into a ConfigError at the top.
struct LoadError {
    SourceLoc where;
    std::string message;
};

class Loader {
public:
    Loader(std::string name, std::string baseDir, Config& out)
        : name_(std::move(name)), baseDir_(std::move(baseDir)), cfg_(out) {}

    void load(Setting& root);

private:
    SourceLoc loc(const Setting& s) const {
        const char* f = s.getSourceFile();
        return SourceLoc{f ? f : name_, static_cast<int>(s.getSourceLine())};
    }
    [[noreturn]] void fail(const Setting& s, std::string msg) const {
        throw LoadError{loc(s), std::move(msg)};
    }
    std::string quoted(const Setting& s) const { return std::string("'") + s.getName() + "'"; }

    int64_t integer(const Setting& s, int64_t lo, int64_t hi);
    std::string string(const Setting& s);
    std::vector<const Setting*> stringOrList(const Setting& s);
    std::string resolvePath(const std::string& p) const;

    void listen(const Setting& s);
    void alias(const Setting& s);
    void logLevel(const Setting& s);
    void script(const Setting& s);
    void modulesPath(const Setting& s);
    void modules(const Setting& s);
    ModuleSpec module(const Setting& s);
    ParamValue scalar(const Setting& s, const std::string& what);
    bool extraSetting(const Setting& s);
    bool declaredGroup(const Setting& s);
    ConfigGroup group(const Setting& s, const std::string& name);

    std::string name_;
    std::string baseDir_;
    Config& cfg_;
};

int64_t Loader::integer(const Setting& s, int64_t lo, int64_t hi) {
    int64_t v;
    if (s.getType() == Setting::TypeInt) {
        v = static_cast<int>(s);
    } else if (s.getType() == Setting::TypeInt64) {
        v = static_cast<long long>(s);
    } else {
        fail(s, quoted(s) + " must be an integer");
    }
    if (v < lo || v > hi)
        fail(s, quoted(s) + " = " + std::to_string(v) + " is out of range (" + std::to_string(lo) +
                    ".." + std::to_string(hi) + ")");
    return v;
}

std::string Loader::string(const Setting& s) {
    if (s.getType() != Setting::TypeString) fail(s, quoted(s) + " must be a string");
    return static_cast<const char*>(s);
}

// `listen = "udp:..."` and `listen = ( "udp:...", ... )` (or [ ... ]) mean the same.
std::vector<const Setting*> Loader::stringOrList(const Setting& s) {
    std::vector<const Setting*> items;
    if (s.getType() == Setting::TypeString) {
        items.push_back(&s);
        return items;
    }
    if (s.getType() != Setting::TypeList && s.getType() != Setting::TypeArray)
        fail(s, quoted(s) + " must be a string or a list of strings");
    for (int i = 0; i < s.getLength(); ++i) {
        const Setting& e = s[i];
        if (e.getType() != Setting::TypeString)
            fail(e, "entry " + std::to_string(i + 1) + " of " + quoted(s) + " must be a string");
        items.push_back(&e);
    }
    return items;
}

std::string Loader::resolvePath(const std::string& p) const {
    fs::path path(p);
    if (path.is_relative()) path = fs::path(baseDir_) / path;
    return path.lexically_normal().string();
}

void Loader::listen(const Setting& s) {
    for (const Setting* e : stringOrList(s)) {
        const char* text = *e;
        ListenAddr a;
        std::string why;
        if (!parseListenAddr(text, a, &why))
            fail(*e, "bad listen address '" + std::string(text) + "': " + why);
        for (const ListenAddr& other : cfg_.listen)
            if (other.text() == a.text())
                fail(*e, "listen address " + a.text() + " is given twice");
        cfg_.listen.push_back(std::move(a));
    }
}

void Loader::alias(const Setting& s) {
    for (const Setting* e : stringOrList(s)) {
        std::string a = static_cast<const char*>(*e);
        if (a.empty()) fail(*e, "empty alias");
        cfg_.aliases.push_back(std::move(a));
    }
}

void Loader::logLevel(const Setting& s) {
    std::string text;
    if (s.getType() == Setting::TypeString) {
        text = static_cast<const char*>(s);
    } else if (s.getType() == Setting::TypeInt) {
        text = std::to_string(static_cast<int>(s));
    } else {
        fail(s, "'log_level' must be one of err, warn, notice, info, debug");
    }
    if (!log::parseLevel(text, cfg_.logLevel))
        fail(s, "unknown log_level '" + text + "' (expected err, warn, notice, info or debug)");
}

void Loader::script(const Setting& s) {
    std::string p = string(s);
    if (p.empty()) fail(s, "'script' is empty");
    std::string abs = resolvePath(p);
    struct stat st;
    if (stat(abs.c_str(), &st) != 0)
        fail(s, "script '" + p + "' not found (" + abs + ": " + strerror(errno) + ")");
    if (!S_ISREG(st.st_mode)) fail(s, "script '" + p + "' is not a regular file (" + abs + ")");
    if (access(abs.c_str(), R_OK) != 0)
        fail(s, "script '" + p + "' is not readable (" + abs + ": " + strerror(errno) + ")");
    cfg_.script = abs;
}

void Loader::modulesPath(const Setting& s) {
    std::string p = string(s);
    if (p.empty()) fail(s, "'modules_path' is empty");
    std::string abs = resolvePath(p);
    struct stat st;
    if (stat(abs.c_str(), &st) != 0)
        fail(s, "modules_path '" + p + "' not found (" + abs + ": " + strerror(errno) + ")");
    if (!S_ISDIR(st.st_mode)) fail(s, "modules_path '" + p + "' is not a directory (" + abs + ")");
    cfg_.modulesPath = abs;
}

ParamValue Loader::scalar(const Setting& s, const std::string& what) {
    switch (s.getType()) {
        case Setting::TypeInt:
            return static_cast<int64_t>(static_cast<int>(s));
        case Setting::TypeInt64:
            return static_cast<int64_t>(static_cast<long long>(s));
        case Setting::TypeFloat:
            return static_cast<double>(s);
        case Setting::TypeBoolean:
            return static_cast<bool>(s);
        case Setting::TypeString:
            return std::string(static_cast<const char*>(s));
        default:
            fail(s, what + " must be an integer, float, boolean or string");
    }
}

ModuleSpec Loader::module(const Setting& s) {
    if (s.getType() != Setting::TypeGroup)
        fail(s, "each entry of 'modules' must be a group like { name = \"sl\"; }");
    ModuleSpec m;
    m.where = loc(s);
    const Setting* params = nullptr;
    bool haveName = false;
    for (int i = 0; i < s.getLength(); ++i) {
        const Setting& e = s[i];
        std::string key = e.getName();
        if (key == "name") {
            m.name = string(e);
            haveName = true;
            if (m.name.empty()) fail(e, "module name is empty");
            for (char c : m.name)
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_'))
                    fail(e, "invalid module name '" + m.name + "' (letters, digits and '_' only)");
        } else if (key == "params") {
            if (e.getType() != Setting::TypeGroup)
                fail(e, "'params' must be a group like { fr_timer = 30000; }");
            params = &e;
        } else {
            fail(e, "unknown key '" + key + "' in a module entry (expected name, params)");
        }
    }
    if (!haveName) fail(s, "module entry without 'name'");
    if (params) {
        for (int i = 0; i < params->getLength(); ++i) {
            const Setting& p = (*params)[i];
            std::string pname = p.getName();
            m.params.push_back(Param{
                pname, scalar(p, "module '" + m.name + "' parameter '" + pname + "'"), loc(p)});
        }
    }
    return m;
}

void Loader::modules(const Setting& s) {
    if (s.getType() != Setting::TypeList)
        fail(s, "'modules' must be a list: ( { name = \"sl\"; }, ... )");
    for (int i = 0; i < s.getLength(); ++i) {
        ModuleSpec m = module(s[i]);
        if (const ModuleSpec* first = cfg_.module(m.name))
            fail(s[i],
                 "module '" + m.name + "' is listed twice (first at " + first->where.text() + ")");
        cfg_.modules.push_back(std::move(m));
    }
}

bool Loader::extraSetting(const Setting& s) {
    for (const DeclaredSetting& d : declaredSettings()) {
        if (d.name != s.getName()) continue;
        ParamValue v = scalar(s, quoted(s));
        ParamType t = paramType(v);
        if (d.type == ParamType::Float && t == ParamType::Int) {
            v = static_cast<double>(std::get<int64_t>(v));
        } else if (t != d.type) {
            fail(s, quoted(s) + " must be of type " + paramTypeName(d.type) + ", not " +
                        paramTypeName(t));
        }
        cfg_.extra.push_back(Param{d.name, std::move(v), loc(s)});
        return true;
    }
    return false;
}

ConfigGroup Loader::group(const Setting& s, const std::string& name) {
    ConfigGroup g;
    g.name = name;
    g.where = loc(s);
    for (int i = 0; i < s.getLength(); ++i) {
        const Setting& e = s[i];
        const std::string key = e.getName();
        if (e.getType() == Setting::TypeGroup) {
            g.groups.push_back(group(e, key));
        } else if (e.getType() == Setting::TypeList) {
            for (int k = 0; k < e.getLength(); ++k) {
                if (e[k].getType() != Setting::TypeGroup)
                    fail(e[k], "each entry of " + quoted(e) + " must be a group { ... }");
                g.groups.push_back(group(e[k], key));
            }
        } else {
            g.params.push_back(Param{key, scalar(e, "'" + name + "." + key + "'"), loc(e)});
        }
    }
    return g;
}

bool Loader::declaredGroup(const Setting& s) {
    for (const std::string& d : declaredGroups()) {
        if (d != s.getName()) continue;
        if (s.getType() != Setting::TypeGroup) fail(s, quoted(s) + " must be a group { ... }");
        cfg_.groups.push_back(group(s, d));
        return true;
    }
    return false;
}

void Loader::load(Setting& root) {
    for (int i = 0; i < root.getLength(); ++i) {
        const Setting& s = root[i];
        std::string key = s.getName();
        if (key == "listen") {
            listen(s);
        } else if (key == "alias") {
            alias(s);
        } else if (key == "children") {
            cfg_.children = static_cast<unsigned>(integer(s, 1, kMaxChildren));
        } else if (key == "tcp_children") {
            cfg_.tcpChildren = static_cast<unsigned>(integer(s, 0, kMaxChildren));
        } else if (key == "shm_size") {
            cfg_.shmMiB = static_cast<size_t>(integer(s, 1, kMaxShmMiB));
        } else if (key == "pkg_size") {
            cfg_.pkgMiB = static_cast<size_t>(integer(s, 1, kMaxPkgMiB));
        } else if (key == "log_level") {
            logLevel(s);
        } else if (key == "script") {
            script(s);
        } else if (key == "modules_path") {
            modulesPath(s);
        } else if (key == "modules") {
            modules(s);
        } else if (!extraSetting(s) && !declaredGroup(s)) {
            fail(s, "unknown setting '" + key + "'");
        }
        cfg_.locations.emplace_back(key, loc(s));
    }
}

bool run(libconfig::Config& lc, const std::string& name, const std::string& baseDir, Config& out,
         ConfigError& err, const std::function<void()>& read) {
    Config cfg;
    cfg.modulesPath = OSPREY_MODULES_DIR;
    cfg.dir = baseDir;
    try {
        lc.setIncludeDir(baseDir.c_str());
        read();
        Loader(name, baseDir, cfg).load(lc.getRoot());
    } catch (const libconfig::ParseException& e) {
        // libconfig says "syntax error" for most problems, or names the problem itself
        // ("duplicate setting name", "cannot open include file").
        std::string what = e.getError() ? e.getError() : "syntax error";
        if (what != "syntax error") what = "syntax error: " + what;
        err = ConfigError{SourceLoc{e.getFile() ? e.getFile() : name, e.getLine()}, what};
        return false;
    } catch (const libconfig::FileIOException&) {
        err = ConfigError{SourceLoc{name, 0}, "cannot read the file"};
        return false;
    } catch (const libconfig::ConfigException& e) {
        err = ConfigError{SourceLoc{name, 0}, std::string("config error: ") + e.what()};
        return false;
    } catch (const LoadError& e) {
        err = ConfigError{e.where, e.message};
        return false;
    }
    out = std::move(cfg);
    return true;
}

}  // namespace

bool loadConfigFile(const std::string& path, Config& out, ConfigError& err) {
    // Check access ourselves: libconfig's FileIOException does not say why.
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = ConfigError{SourceLoc{path, 0}, std::string("cannot open: ") + strerror(errno)};
        return false;
    }
    struct stat st;
    bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    close(fd);
    if (!regular) {
        err = ConfigError{SourceLoc{path, 0}, "not a regular file"};
        return false;
    }
    std::error_code ec;
    fs::path abs = fs::absolute(path, ec).lexically_normal();
    std::string baseDir = abs.parent_path().string();
    libconfig::Config lc;
    if (!run(lc, path, baseDir, out, err, [&] { lc.readFile(path.c_str()); })) return false;
    out.file = abs.string();
    return true;
}

bool loadConfigString(const std::string& text, const std::string& name, const std::string& baseDir,
                      Config& out, ConfigError& err) {
    libconfig::Config lc;
    if (!run(lc, name, baseDir, out, err, [&] { lc.readString(text); })) return false;
    out.file = name;
    return true;
}

}  // namespace osprey::config
