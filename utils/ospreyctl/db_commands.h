// ospreyctl's table commands, kamctl's `add`/`passwd`/`rm` and `address add/rm/show` on the
// SQLite database itself (core/db), for a server that is running or not:
//
//   ospreyctl [-d DB_URL] subscriber add USER@DOMAIN PASSWORD   (password, ha1, ha1b)
//   ospreyctl [-d DB_URL] subscriber passwd USER@DOMAIN PASSWORD
//   ospreyctl [-d DB_URL] subscriber rm USER@DOMAIN
//   ospreyctl [-d DB_URL] subscriber show [USER@DOMAIN]
//   ospreyctl [-d DB_URL] address add GROUP IP MASK PORT [TAG]
//   ospreyctl [-d DB_URL] address rm GROUP IP
//   ospreyctl [-d DB_URL] address show
//
// DB_URL defaults to the db_url of auth_db (subscriber) or permissions (address) in the
// config. ha1 is MD5(user:domain:password) and ha1b MD5(user@domain:domain:password), as
// kamctl writes them (the realm is the domain). Address changes are followed by the
// permissions.addressReload RPC when the server answers.
#pragma once
#include <string>
#include <vector>

namespace osprey::ctl {

struct DbCommandOptions {
    std::string dbUrl;       // -d; empty: from the config
    std::string configFile;  // where to look for db_url
};

// True when words name a table command (then *exitCode is set, output printed).
bool runDbCommand(const std::vector<std::string>& words, const DbCommandOptions& o,
                  bool* reloadAddresses, int* exitCode);

}  // namespace osprey::ctl
