// Keepalives (Kamailio's OPTIONS pings) and the module's housekeeping process.
#pragma once

namespace osprey::dispatcher {

// ds_ping_reply_codes ("class=2;code=403;..."); false (logged) when malformed.
bool parsePingReplyCodes();
// True when a keepalive answered with `status` counts as the destination being up.
bool pingReplyAccepted(int status);

// Declares the "dispatcher" process (master, in init): it sends the keepalives every
// ds_ping_interval, frees lists replaced by reloads once nobody can reach them, and sweeps
// expired call-load entries.
void declarePingProcess();

}  // namespace osprey::dispatcher
