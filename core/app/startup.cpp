// The start-up and shutdown sequence of the server: every step of every stage (hooks.h), in
// the order it runs. main.cpp, the supervisor and each child run a stage with runHooks.
#include "core/app/hooks.h"
#include "core/app/log_settings.h"
#include "core/dns/dns_steps.h"
#include "core/lua/script_steps.h"
#include "core/module/module_steps.h"
#include "core/net/tcp_steps.h"
#include "core/net/udp_steps.h"
#include "core/route/route_steps.h"
#include "core/rpc/rpc_steps.h"
#include "core/stats/stats_steps.h"

namespace osprey::app {

namespace {

constexpr StartupStep kSteps[] = {
    // Master, config loaded, no shm yet (and `osprey -c`).
    {Stage::Check, "configure logging", configureLogging},  // log_format, log_prefix
    {Stage::Check, "load modules", module::loadModules},
    {Stage::Check, "check Lua script", lua::checkScriptStep},  // needs the modules' functions
    {Stage::Check, "check TCP settings", net::checkTcpSettings},
    {Stage::Check, "check DNS settings", dns::checkDnsSettings},
    {Stage::Check, "check RPC settings", rpc::checkRpcSettings},

    // Master, shm and pkg ready, before fork.
    {Stage::MasterInit, "start DNS resolver", dns::startDnsStep},  // modules may resolve
    {Stage::MasterInit, "init modules", module::initModules},
    {Stage::MasterInit, "install message extensions", module::installMsgExtensions},
    {Stage::MasterInit, "open UDP sockets", net::openUdpStep},
    {Stage::MasterInit, "open TCP listeners", net::startTcpStep},
    {Stage::MasterInit, "collect local addresses", route::initMyself},  // sockets' ports known
    {Stage::MasterInit, "publish Lua script", lua::publishScriptStep},  // generation 1
    {Stage::MasterInit, "start control plane", rpc::startRpcStep},      // modules' methods known
    // Last: every statistic and process kind is declared by now.
    {Stage::MasterInit, "create the statistics table", stats::createTableStep},

    // Each child after fork, before its main.
    {Stage::ChildInit, "attach statistics row", stats::attachStep},  // before anything counts
    {Stage::ChildInit, "close control sockets", rpc::childRpcStep},  // kept by ctl only
    {Stage::ChildInit, "child-init modules", module::childInitModules},
    {Stage::ChildInit, "start Lua engine", lua::startEngineStep},  // modules ready for Lua
    {Stage::ChildInit, "publish pkg stats", rpc::publishPkgStep},

    // Each child on a clean stop.
    {Stage::ChildExit, "stop Lua engine", lua::stopEngineStep},

    // Master, every child reaped, before shm is released: the reverse of MasterInit.
    {Stage::MasterExit, "close control sockets", rpc::stopRpcStep},
    {Stage::MasterExit, "unpublish Lua script", lua::unpublishScriptStep},
    {Stage::MasterExit, "close TCP transport", net::stopTcpStep},
    {Stage::MasterExit, "close UDP sockets", net::closeUdpStep},
    {Stage::MasterExit, "destroy modules", module::destroyModules},
    {Stage::MasterExit, "release the statistics table", stats::detachStep},
};

}  // namespace

std::span<const StartupStep> startupSteps() {
    return kSteps;
}

}  // namespace osprey::app
