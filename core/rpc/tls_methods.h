// The TLS transport's RPC methods, with Kamailio's tls module names: tls.list (every TLS
// connection), tls.info (counts), tls.options (the settings in force), tls.reload (the
// certificate files read again: every TCP worker uses the new ones for its next handshake,
// existing connections go on; core/net/tls_context.h).
#pragma once
#include <span>

#include "core/rpc/method.h"

namespace osprey::rpc {

std::span<const Method> tlsMethods();

}  // namespace osprey::rpc
