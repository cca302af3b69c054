// Helpers for the Lua engine tests: a script written to a temporary file (removed again) and an
// engine created over it with the core's exports plus any test exports.
#pragma once
#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/lua/builtin_exports.h"
#include "core/lua/engine.h"
#include "core/module/module_export.h"

namespace osprey::lua::test {

class TempScript {
public:
    explicit TempScript(const std::string& text) {
        char path[] = "/tmp/osprey_lua_test_XXXXXX.lua";
        const int fd = mkstemps(path, 4);
        EXPECT_GE(fd, 0);
        if (fd < 0) return;
        EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        close(fd);
        path_ = path;
    }
    ~TempScript() {
        if (!path_.empty()) unlink(path_.c_str());
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

inline std::unique_ptr<Engine> makeEngine(const TempScript& script, std::string* error,
                                          std::vector<const module::ModuleExport*> extra = {},
                                          size_t memoryLimit = kDefaultMemoryLimit) {
    std::vector<const module::ModuleExport*> exports(builtinExports().begin(),
                                                     builtinExports().end());
    exports.insert(exports.end(), extra.begin(), extra.end());
    EngineOptions options;
    options.scriptPath = script.path();
    options.memoryLimit = memoryLimit;
    return Engine::create(options, exports, error);
}

}  // namespace osprey::lua::test
