// Typed export of C++ functions to Lua: signatures deduced at compile time, arguments checked
// at run time, every supported argument and result type, and errors naming KSR.<module>.<fn>
// and the argument position.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>

#include <lua.hpp>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "test/unit/lua_test_script.h"

namespace osprey::lua {
namespace {

int add(int a, int b) noexcept {
    return a + b;
}
int64_t wide(int64_t x) noexcept {
    return x + 1;
}
bool negate(bool b) noexcept {
    return !b;
}
double half(double d) noexcept {
    return d / 2;
}
std::string_view echo(std::string_view s) noexcept {
    return s;
}
int length(std::string_view s) noexcept {
    return static_cast<int>(s.size());
}
std::optional<std::string_view> maybe(bool b) noexcept {
    return b ? std::optional<std::string_view>("yes") : std::nullopt;
}
PvValue pv(int which) noexcept {
    if (which == 1) return int64_t{7};
    if (which == 2) return std::string_view("seven");
    return std::monostate{};
}
int noargs() noexcept {
    return 17;
}
int withCtx(Ctx& ctx, int n) noexcept {
    return static_cast<int>(ctx.flags) + n;
}
int g_sideEffects = 0;
void sideEffect(int n) noexcept {
    g_sideEffects += n;
}
std::string g_kept;
int keep(std::string_view a, std::string_view b) noexcept {
    g_kept.assign(a);
    g_kept.append("+");
    g_kept.append(b);
    return 1;
}
bool topLevel() noexcept {
    return true;
}

constexpr FunctionSpec kFunctions[] = {
    fn<&add>("add"),
    fn<&wide>("wide"),
    fn<&negate>("negate"),
    fn<&half>("half"),
    fn<&echo>("echo"),
    fn<&length>("length"),
    fn<&maybe>("maybe"),
    fn<&pv>("pv"),
    fn<&noargs>("noargs"),
    fn<&withCtx>("with_ctx"),
    fn<&sideEffect>("side_effect"),
    fn<&keep>("keep"),
    fn<&topLevel>("is_test_top", ""),
};
constexpr module::ModuleExport kTest{.name = "t", .functions = kFunctions};

// Signatures are deduced at compile time.
static_assert(fn<&add>("add").args[0] == 'i' && fn<&add>("add").args[1] == 'i');
static_assert(fn<&add>("add").args[2] == '\0' && fn<&add>("add").ret == 'i');
static_assert(fn<&withCtx>("c").args[0] == 'i' && fn<&withCtx>("c").args[1] == '\0');
static_assert(fn<&keep>("k").args[0] == 's' && fn<&keep>("k").args[1] == 's');
static_assert(fn<&pv>("p").ret == 'v' && fn<&sideEffect>("s").ret == 'n');
static_assert(fn<&maybe>("m").ret == 's' && fn<&negate>("n").args[0] == 'b');
static_assert(fn<&half>("h").args[0] == 'd' && fn<&half>("h").ret == 'd');

class LuaExport : public ::testing::Test {
protected:
    void SetUp() override {
        script_ = std::make_unique<test::TempScript>(
            "function ksr_request_route() end\n"
            "function call(f, ...) result = f(...) end\n");
        std::string err;
        engine_ = test::makeEngine(*script_, &err, {&kTest});
        ASSERT_TRUE(engine_) << err;
    }

    // Runs `code` as the body of a route function; returns the route status.
    RouteStatus runCode(const std::string& code) {
        lua_State* L = engine_->state();
        const std::string src = "function test_route() " + code + " end";
        EXPECT_EQ(luaL_dostring(L, src.c_str()), 0) << lua_tostring(L, -1);
        lua_settop(L, 1);
        return engine_->run("test_route", ctx_);
    }

    // Evaluates `expr` in a route and returns the value's Lua type and string form.
    std::string eval(const std::string& expr) {
        EXPECT_EQ(runCode("local v = " + expr + "; result = type(v) .. ':' .. tostring(v)"),
                  RouteStatus::Ok)
            << engine_->lastError();
        lua_State* L = engine_->state();
        lua_getglobal(L, "result");
        std::string out = lua_tostring(L, -1) != nullptr ? lua_tostring(L, -1) : "?";
        lua_pop(L, 1);
        return out;
    }

    std::unique_ptr<test::TempScript> script_;
    std::unique_ptr<Engine> engine_;
    Ctx ctx_;
};

TEST_F(LuaExport, EachArgumentAndResultType) {
    EXPECT_EQ(eval("KSR.t.add(40, 2)"), "number:42");
    EXPECT_EQ(eval("KSR.t.add(-7, 3)"), "number:-4");
    EXPECT_EQ(eval("KSR.t.wide(2^40)"), "number:1099511627777");
    EXPECT_EQ(eval("KSR.t.negate(false)"), "boolean:true");
    EXPECT_EQ(eval("KSR.t.half(5)"), "number:2.5");
    EXPECT_EQ(eval("KSR.t.echo('hello')"), "string:hello");
    EXPECT_EQ(eval("KSR.t.maybe(true)"), "string:yes");
    EXPECT_EQ(eval("KSR.t.maybe(false)"), "nil:nil");
    EXPECT_EQ(eval("KSR.t.pv(0)"), "nil:nil");
    EXPECT_EQ(eval("KSR.t.pv(1)"), "number:7");
    EXPECT_EQ(eval("KSR.t.pv(2)"), "string:seven");
    EXPECT_EQ(eval("KSR.t.noargs()"), "number:17");
    EXPECT_EQ(eval("select('#', KSR.t.side_effect(5))"), "number:0") << "void returns nothing";
    EXPECT_EQ(g_sideEffects, 5);
    EXPECT_EQ(eval("KSR.is_test_top()"), "boolean:true") << "table \"\" lands on KSR itself";
}

TEST_F(LuaExport, IntegerValuedFloatsAreIntegers) {
    EXPECT_EQ(eval("KSR.t.add(2.0, 3)"), "number:5");
    EXPECT_EQ(eval("KSR.t.add(10/2, 2^3)"), "number:13");
    EXPECT_EQ(eval("KSR.t.add(-2147483648, 0)"), "number:-2147483648");
}

TEST_F(LuaExport, ContextIsTheRunningMessage) {
    ctx_.flags = 100;
    EXPECT_EQ(eval("KSR.t.with_ctx(5)"), "number:105");
}

TEST_F(LuaExport, StringsKeepLengthAndContentDuringTheCall) {
    EXPECT_EQ(eval("KSR.t.length('a\\0b')"), "number:3") << "embedded NUL";
    EXPECT_EQ(eval("KSR.t.echo(42)"), "string:42") << "numbers coerce as in Lua";
    g_kept.clear();
    // Temporaries built for the call, garbage right after it.
    EXPECT_EQ(eval("KSR.t.keep(string.rep('x', 3) .. 7, ('y'):upper())"), "number:1");
    EXPECT_EQ(g_kept, "xxx7+Y");
    // A string returned from a view is copied into Lua at once.
    EXPECT_EQ(eval("KSR.t.echo(string.rep('ab', 1000)):len()"), "number:2000");
}

// Kamailio's app_lua reads integer parameters with lua_tointeger: numeric strings convert,
// fractions truncate toward zero.
TEST_F(LuaExport, IntegerParametersTakeNumericStrings) {
    EXPECT_EQ(eval("KSR.t.add('404', 1)"), "number:405");
    EXPECT_EQ(eval("KSR.t.add(' 7 ', '-2')"), "number:5") << "Lua's own conversion";
    EXPECT_EQ(eval("KSR.t.add('0x10', 0)"), "number:16");
    EXPECT_EQ(eval("KSR.t.add(1.9, -1.9)"), "number:0") << "truncated, as lua_tointeger";
    EXPECT_EQ(eval("KSR.t.wide('1099511627776')"), "number:1099511627777");
    EXPECT_EQ(eval("KSR.t.half('5')"), "number:2.5");
    EXPECT_EQ(eval("KSR.setflag('1') and KSR.isflagset(1)"), "boolean:true");
}

// Logged lines of the calls below, read from a pipe the logger writes to.
class LogCapture {
public:
    LogCapture() {
        EXPECT_EQ(pipe2(fds_, O_NONBLOCK | O_CLOEXEC), 0);
        log::setOutputFd(fds_[1]);
    }
    ~LogCapture() {
        log::setOutputFd(2);
        close(fds_[0]);
        close(fds_[1]);
    }
    std::string text() {
        char buf[4096];
        ssize_t n;
        while ((n = read(fds_[0], buf, sizeof buf)) > 0) text_.append(buf, static_cast<size_t>(n));
        return text_;
    }

private:
    int fds_[2] = {-1, -1};
    std::string text_;
};

// As app_lua: the call is not made, an error naming the function is logged, the script gets
// false and goes on.
TEST_F(LuaExport, WrongArityLogsAndReturnsFalse) {
    struct Case {
        const char* code;
        const char* message;
    } cases[] = {
        {"KSR.t.add(1)", "wrong number of arguments to 'KSR.t.add' (2 expected, got 1)"},
        {"KSR.t.noargs(1)", "wrong number of arguments to 'KSR.t.noargs' (0 expected, got 1)"},
        {"KSR.t.add(1, 2, 3)", "'KSR.t.add' (2 expected, got 3)"},
    };
    for (const Case& c : cases) {
        LogCapture log;
        EXPECT_EQ(eval(c.code), "boolean:false") << c.code;
        const std::string text = log.text();
        EXPECT_NE(text.find(c.message), std::string::npos) << c.code << " -> " << text;
    }
}

TEST_F(LuaExport, UnconvertibleArgumentsLogAndReturnFalse) {
    struct Case {
        const char* code;
        const char* message;
    } cases[] = {
        {"KSR.t.add(1, 'x')", "bad argument #2 to 'KSR.t.add' (integer expected, got string)"},
        {"KSR.t.add(nil, 1)", "bad argument #1 to 'KSR.t.add' (integer expected, got nil)"},
        {"KSR.t.negate(1)", "bad argument #1 to 'KSR.t.negate' (boolean expected, got number)"},
        {"KSR.t.half('x2')", "bad argument #1 to 'KSR.t.half' (number expected, got string)"},
        {"KSR.t.echo({})", "bad argument #1 to 'KSR.t.echo' (string expected, got table)"},
        {"KSR.t.keep('a', true)", "bad argument #2 to 'KSR.t.keep' (string expected, got boolean)"},
        {"KSR.t.add(1, 0/0)",
         "bad argument #2 to 'KSR.t.add' (number has no integer representation)"},
        {"KSR.t.add(1, math.huge)", "bad argument #2 to 'KSR.t.add' (number has no integer"},
        {"KSR.t.add(2^31, 1)", "bad argument #1 to 'KSR.t.add' (integer out of range)"},
        {"KSR.t.wide(2^63)", "bad argument #1 to 'KSR.t.wide' (integer out of range)"},
        {"KSR.setflag('one')", "bad argument #1 to 'KSR.setflag' (integer expected, got string)"},
    };
    for (const Case& c : cases) {
        LogCapture log;
        EXPECT_EQ(eval(c.code), "boolean:false") << c.code;
        const std::string text = log.text();
        EXPECT_NE(text.find(c.message), std::string::npos) << c.code << " -> " << text;
        // The script position comes first: "<chunk>:1: bad argument ..."
        EXPECT_NE(text.find(":1: bad argument"), std::string::npos) << text;
    }
    // The side effect of a refused call does not happen, and the route went on to the end.
    g_sideEffects = 0;
    LogCapture quiet;
    EXPECT_EQ(runCode("KSR.t.side_effect('x'); KSR.t.side_effect(2)"), RouteStatus::Ok);
    EXPECT_EQ(g_sideEffects, 2);
}

// KSR.x.modf: any export by name, the result as an integer (Kamailio's modf).
TEST_F(LuaExport, ModfCallsAnExportByName) {
    EXPECT_EQ(eval("KSR.x.modf('add', '40', '2')"), "number:42") << "arguments as strings";
    EXPECT_EQ(eval("KSR.x.modf('t.add', 1, 2)"), "number:3") << "qualified name";
    EXPECT_EQ(eval("KSR.x.modf('negate', true)"), "number:-1") << "false -> -1";
    EXPECT_EQ(eval("KSR.x.modf('is_test_top')"), "number:1") << "true -> 1";
    EXPECT_EQ(eval("KSR.x.modf('side_effect', 1)"), "number:1") << "nothing -> 1";
    LogCapture log;
    EXPECT_EQ(eval("KSR.x.modf('no_such_function')"), "number:-1");
    EXPECT_NE(log.text().find("function 'no_such_function' is not available"), std::string::npos)
        << log.text();
    EXPECT_EQ(runCode("KSR.x.modf('exit'); result = 'after'"), RouteStatus::Exit)
        << "stopping through modf stops the route";
    EXPECT_EQ(runCode("KSR.x.exit(0); result = 'after'"), RouteStatus::Exit)
        << "exit ignores arguments, as app_lua's";
}

TEST(LuaExportTable, ContextFunctionsOutsideARouteFail) {
    test::TempScript script("KSR.t.with_ctx(1)\nfunction ksr_request_route() end\n");
    std::string err;
    EXPECT_FALSE(test::makeEngine(script, &err, {&kTest}));
    EXPECT_NE(err.find("'KSR.t.with_ctx' needs a SIP message"), std::string::npos) << err;
    EXPECT_NE(err.find(":1:"), std::string::npos) << err;
}

TEST(LuaExportTable, DuplicateNamesAreRefused) {
    static constexpr FunctionSpec other[] = {fn<&noargs>("add", "t")};
    constexpr module::ModuleExport clash{.name = "t2", .functions = other};
    test::TempScript script("function ksr_request_route() end\n");
    std::string err;
    EXPECT_FALSE(test::makeEngine(script, &err, {&kTest, &clash}));
    EXPECT_NE(err.find("KSR.t.add is exported by both 't' and 't2'"), std::string::npos) << err;
}

TEST(LuaExportTable, ModuleTableCannotShadowACoreFunction) {
    static constexpr FunctionSpec fns[] = {fn<&noargs>("x")};
    constexpr module::ModuleExport info{.name = "info", .functions = fns};
    test::TempScript script("function ksr_request_route() end\n");
    std::string err;
    EXPECT_FALSE(test::makeEngine(script, &err, {&info}));
    EXPECT_NE(err.find("KSR.info of module 'info' clashes with function KSR.info of module 'core'"),
              std::string::npos)
        << err;
}

}  // namespace
}  // namespace osprey::lua
