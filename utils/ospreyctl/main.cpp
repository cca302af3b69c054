// ospreyctl: the operator's command-line client of a running osprey. It sends one RPC call
// (JSON-RPC over the control socket) and prints the result as an indented tree, or as JSON
// with -j. Exit status: 0 ok, 1 the method answered an error, 2 no answer (cannot connect,
// bad reply) or bad usage.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/rpc/json.h"
#include "utils/ospreyctl/ctl_target.h"
#include "utils/ospreyctl/db_commands.h"
#include "utils/ospreyctl/print.h"
#include "utils/ospreyctl/rpc_client.h"

namespace {

using namespace osprey;

constexpr int kExitOk = 0;
constexpr int kExitRpcError = 1;
constexpr int kExitNoAnswer = 2;

const char* kUsage =
    "usage: ospreyctl [-s SOCKET] [-c CONFIG] [-d DB_URL] [-j] [-t SECONDS] COMMAND [ARG...]\n"
    "\n"
    "COMMAND is an RPC method with its parameters (ospreyctl core.version,\n"
    "ospreyctl ul.dump, ospreyctl core.shmmem m), or one of:\n"
    "  help [METHOD]     list the methods with their help, or one method's help\n"
    "  ps                the processes (core.psx)\n"
    "  uptime            core.uptime\n"
    "  version           core.version\n"
    "  ul show AOR       the contacts of AOR in table location (ul.lookup location AOR)\n"
    "  ul dump           every registration (ul.dump)\n"
    "  ul rm AOR         remove AOR from table location (ul.rm location AOR)\n"
    "  stats [GROUP]     statistics (stats.get_statistics GROUP, default all)\n"
    "  reload            reload the routing script (app_lua.reload)\n"
    "  subscriber add USER@DOMAIN PASSWORD     add a subscriber (password, ha1, ha1b)\n"
    "  subscriber passwd USER@DOMAIN PASSWORD  change its password\n"
    "  subscriber rm USER@DOMAIN               remove it\n"
    "  subscriber show [USER@DOMAIN]           list subscribers\n"
    "  address add GROUP IP MASK PORT [TAG]    add to the permissions address table, reload\n"
    "  address rm GROUP IP                     remove, reload\n"
    "  address show                            list the table (address dump: the server's)\n"
    "  address reload | dump                   permissions.addressReload / addressDump\n"
    "\n"
    "  -s SOCKET  unix:/path, /path or tcp:host:port (default: ctl_socket of the config)\n"
    "  -c CONFIG  the config file to read ctl_socket from (default: the server's default)\n"
    "  -d DB_URL  sqlite:///path.db for subscriber/address (default: db_url of auth_db or\n"
    "             permissions in the config)\n"
    "  -j         print the result as JSON\n"
    "  -t SECS    how long to wait for the answer (default 10)\n"
    "Arguments that look like integers are sent as integers; prefix s: to send a string.\n";

// As kamcmd: integers as integers, "s:..." forces a string.
rpc::Value argValue(const std::string& a) {
    if (a.rfind("s:", 0) == 0) return rpc::Value(a.substr(2));
    char* end = nullptr;
    errno = 0;
    long long v = strtoll(a.c_str(), &end, 10);
    if (!a.empty() && errno == 0 && *end == '\0') return rpc::Value(static_cast<int64_t>(v));
    return rpc::Value(a);
}

struct Command {
    std::string method;
    std::vector<rpc::Value> params;
};

// The operator shortcuts kamctl users know; anything else is a method name.
bool expand(const std::vector<std::string>& words, Command* cmd, std::string* error) {
    const std::string& w = words[0];
    auto rest = [&](size_t from) {
        for (size_t i = from; i < words.size(); ++i) cmd->params.push_back(argValue(words[i]));
    };
    if (w == "ps") {
        cmd->method = "core.psx";
    } else if (w == "uptime") {
        cmd->method = "core.uptime";
    } else if (w == "version") {
        cmd->method = "core.version";
    } else if (w == "reload") {
        cmd->method = "app_lua.reload";
    } else if (w == "stats") {
        cmd->method = "stats.get_statistics";
        if (words.size() == 1) cmd->params.push_back(rpc::Value("all"));
        rest(1);
    } else if (w == "address" && words.size() == 2 &&
               (words[1] == "reload" || words[1] == "dump")) {
        cmd->method =
            words[1] == "reload" ? "permissions.addressReload" : "permissions.addressDump";
    } else if (w == "ul") {
        if (words.size() < 2) {
            *error = "ul: expected show AOR, dump or rm AOR";
            return false;
        }
        const std::string& sub = words[1];
        if (sub == "dump") {
            cmd->method = "ul.dump";
            rest(2);
        } else if ((sub == "show" || sub == "rm") && words.size() == 3) {
            cmd->method = sub == "show" ? "ul.lookup" : "ul.rm";
            cmd->params.push_back(rpc::Value("location"));
            cmd->params.push_back(rpc::Value(words[2]));
        } else {
            *error = "ul: expected show AOR, dump or rm AOR";
            return false;
        }
    } else {
        cmd->method = w;
        rest(1);
    }
    return true;
}

int report(const ctl::CallResult& r, bool json) {
    if (r.status == ctl::CallStatus::NoConnection) {
        fprintf(stderr, "ospreyctl: %s\n", r.message.c_str());
        return kExitNoAnswer;
    }
    if (r.status == ctl::CallStatus::RpcError) {
        fprintf(stderr, "error: %d %s\n", r.code, r.message.c_str());
        return kExitRpcError;
    }
    if (json) {
        std::string out;
        rpc::writeJson(r.result, &out);
        printf("%s\n", out.c_str());
    } else {
        fputs(ctl::printTree(r.result).c_str(), stdout);
    }
    return kExitOk;
}

// help: every method and its help line; help METHOD: that one.
int help(const ctl::Target& t, const std::vector<std::string>& words, int timeoutMs) {
    if (words.size() > 1) {
        ctl::CallResult r = ctl::call(t, "system.methodHelp", {rpc::Value(words[1])}, timeoutMs);
        return report(r, false);
    }
    ctl::CallResult list = ctl::call(t, "system.listMethods", {}, timeoutMs);
    if (list.status != ctl::CallStatus::Ok) return report(list, false);
    for (const rpc::Value& m : list.result.items()) {
        ctl::CallResult h = ctl::call(t, "system.methodHelp", {m}, timeoutMs);
        printf("%-28s %s\n", m.asString().c_str(),
               h.status == ctl::CallStatus::Ok ? h.result.asString().c_str() : "");
    }
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    std::string socket;
    std::string config;
    std::string dbUrl;
    bool json = false;
    int timeoutMs = 10000;
    int opt;
    while ((opt = getopt(argc, argv, "+s:c:d:jt:h")) != -1) {
        switch (opt) {
            case 's':
                socket = optarg;
                break;
            case 'c':
                config = optarg;
                break;
            case 'd':
                dbUrl = optarg;
                break;
            case 'j':
                json = true;
                break;
            case 't':
                timeoutMs = atoi(optarg) * 1000;
                if (timeoutMs <= 0) timeoutMs = 10000;
                break;
            case 'h':
                fputs(kUsage, stdout);
                return kExitOk;
            default:
                fputs(kUsage, stderr);
                return kExitNoAnswer;
        }
    }
    std::vector<std::string> words(argv + optind, argv + argc);
    if (words.empty()) {
        fputs(kUsage, stderr);
        return kExitNoAnswer;
    }
    // Table commands work on the database file, with or without a running server.
    ctl::DbCommandOptions dbo{dbUrl, config.empty() ? ctl::defaultConfigFile() : config};
    bool reloadAddresses = false;
    int dbExit = kExitOk;
    const bool dbCommand = ctl::runDbCommand(words, dbo, &reloadAddresses, &dbExit);
    if (dbCommand && !reloadAddresses) return dbExit;
    ctl::Target target;
    std::string error;
    const bool ok = socket.empty()
                        ? ctl::targetFromConfig(config.empty() ? ctl::defaultConfigFile() : config,
                                                &target, &error)
                        : ctl::parseTarget(socket, &target, &error);
    if (dbCommand) {
        // The table changed: tell a running server (not an error when none runs).
        ctl::CallResult r;
        if (ok) r = ctl::call(target, "permissions.addressReload", {}, timeoutMs);
        if (r.status != ctl::CallStatus::Ok)
            fprintf(stderr, "ospreyctl: note: permissions.addressReload not done (%s)\n",
                    ok ? r.message.c_str() : error.c_str());
        return dbExit;
    }
    if (!ok) {
        fprintf(stderr, "ospreyctl: %s\n", error.c_str());
        return kExitNoAnswer;
    }
    if (words[0] == "help") return help(target, words, timeoutMs);
    Command cmd;
    if (!expand(words, &cmd, &error)) {
        fprintf(stderr, "ospreyctl: %s\n", error.c_str());
        return kExitNoAnswer;
    }
    return report(ctl::call(target, cmd.method, cmd.params, timeoutMs), json);
}
