-- Osprey default routing script: a stateful proxy and registrar, the routing of Kamailio's
-- default configuration (kamailio-basic-kemi-lua.lua) written with the KEMI functions this
-- tree implements, so the same KSR.* calls run on both.
--
-- etc/osprey.cfg loads the modules it uses: sl, tm, tmx, maxfwd, sanity, siputils, pv, rr,
-- usrloc and registrar (and auth, once its line there is uncommented).
--
-- Osprey calls ksr_request_route() for every request that passed the core's checks and
-- ksr_reply_route() for every response. KEMI functions return Kamailio's codes: negative is
-- failure, and Lua takes any number as true, so always compare (`< 0`, `> 0`).
-- KSR.x.exit() ends the routing of the message; returning from ksr_request_route() without
-- relaying or replying drops the request.

-- Configuration of this script --------------------------------------------------------------

-- Digest authentication (with the auth module loaded in etc/osprey.cfg): users and their
-- passwords; the realm is the domain of the From URI, as in Kamailio's default configuration.
-- Replace with a lookup of your own (a file read at start-up, ...) for more than a few users.
local USERS = {
    -- alice = "alice-secret",
    -- bob = "bob-secret",
}

-- Flags (KSR.setflag / KSR.isflagset), numbered as in Kamailio's default configuration.
local FLT_ACC = 1 -- account this transaction (no accounting module yet)
local FLT_ACCMISSED = 2 -- account it as a missed call when it fails
local FLT_ACCFAILED = 3 -- account it even when it fails

-- Helpers ---------------------------------------------------------------------------------

local function pv(name)
    return KSR.pv.get(name) or ""
end

-- Relays the request statefully (tm) and ends its routing: tm sends it to the R-URI (or $du)
-- and to any branches added by registrar.lookup(), retransmits it and relays the replies.
local function route_relay()
    if KSR.is_INVITE() then
        -- every branch failed (or the caller cancelled): ksr_failure_manage below runs
        KSR.tm.t_on_failure("ksr_failure_manage")
    end
    if KSR.tm.t_relay() < 0 then
        KSR.sl.sl_reply_error()
    end
    KSR.x.exit()
end

-- Per-request initial checks ---------------------------------------------------------------

local function route_reqinit()
    -- RFC 3261 §16.3 item 3: loop protection (adds Max-Forwards: 70 when missing).
    if KSR.maxfwd.process_maxfwd(10) < 0 then
        KSR.sl.sl_send_reply(483, "Too Many Hops")
        KSR.x.exit()
    end
    -- Keep-alive OPTIONS to the proxy itself.
    if KSR.is_OPTIONS() and KSR.is_myself_ruri() and pv("$rU") == "" then
        KSR.sl.sl_send_reply(200, "Keepalive")
        KSR.x.exit()
    end
    -- Malformed requests: sanity answers them itself (400, 416, 420, 505).
    if KSR.sanity.sanity_check(17895, 7) < 0 then
        KSR.err("malformed SIP request from " .. pv("$si") .. ":" .. pv("$sp"))
        KSR.x.exit()
    end
end

-- Clients behind NAT: replies go back to the address and port the request came from
-- (rport, RFC 3581). There is no nathelper module yet to fix Contacts behind NAT.
local function route_natdetect()
    KSR.force_rport()
end

-- CANCEL and retransmissions.
local function route_transactions()
    if KSR.is_CANCEL() then
        -- relayed to the branches of the INVITE it cancels; dropped when there is none
        if KSR.tm.t_check_trans() > 0 then route_relay() end
        KSR.x.exit()
    end
    if not KSR.is_ACK() then
        if KSR.tmx.t_precheck_trans() > 0 then
            -- a retransmission of a request another worker is still routing
            KSR.tm.t_check_trans()
            KSR.x.exit()
        end
        -- a retransmission of a known transaction: tm resent the last reply
        if KSR.tm.t_check_trans() == 0 then KSR.x.exit() end
    end
end

-- Requests inside a dialog (with a To tag) follow the route set that Record-Route built.
local function route_withindlg()
    if KSR.siputils.has_totag() < 0 then return end
    if KSR.rr.loose_route() > 0 then
        if KSR.is_BYE() then
            KSR.setflag(FLT_ACC) -- the end of a call, for accounting ...
            KSR.setflag(FLT_ACCFAILED) -- ... even if the BYE fails
        elseif KSR.is_NOTIFY() then
            KSR.rr.record_route() -- in-dialog NOTIFY is record-routed (RFC 6665 §4.3)
        end
        route_relay() -- an ACK for a 2xx is forwarded statelessly by t_relay
    end
    if KSR.is_ACK() then
        -- no Route to us: the ACK for a negative reply we relayed (tm absorbs it) or for
        -- nothing we know (dropped)
        if KSR.tm.t_check_trans() > 0 then route_relay() end
        KSR.x.exit()
    end
    KSR.sl.sl_send_reply(404, "Not here")
    KSR.x.exit()
end

-- Digest authentication of REGISTER and of requests from our users (auth module loaded).
local function route_auth()
    if KSR.auth == nil then return end
    if KSR.is_REGISTER() or KSR.is_myself_furi() then
        local realm = pv("$fd")
        local password = USERS[pv("$au")]
        if password == nil or KSR.auth.pv_auth_check(realm, password, 0, 1) < 0 then
            KSR.auth.auth_challenge(realm, 0)
            KSR.x.exit()
        end
        -- the credentials are for us, not for the next hop
        if not KSR.is_REGISTER() then KSR.auth.consume_credentials() end
    end
    -- Not an open relay: a caller that is not our user may only call our users.
    if not KSR.is_myself_furi() and not KSR.is_myself_ruri() then
        KSR.sl.sl_send_reply(403, "Not relaying")
        KSR.x.exit()
    end
end

-- Requests for other domains are relayed to them.
local function route_sipout()
    if KSR.is_myself_ruri() then return end
    route_relay()
end

-- REGISTER for our domains: usrloc keeps the bindings (and writes them to SQLite).
local function route_registrar()
    if not KSR.is_REGISTER() then return end
    if KSR.registrar.save("location", 0) < 0 then
        KSR.sl.sl_reply_error()
    end
    KSR.x.exit()
end

-- Requests to our users go to the Contacts they registered.
local function route_location()
    local rc = KSR.registrar.lookup("location")
    if rc < 0 then
        if rc == -2 then
            KSR.sl.sl_send_reply(405, "Method Not Allowed")
        else
            KSR.sl.sl_send_reply(404, "Not Found")
        end
        KSR.x.exit()
    end
    if KSR.is_INVITE() then
        KSR.setflag(FLT_ACCMISSED) -- calls to our users are accounted as missed when they fail
    end
    route_relay()
end

-- Entry points ------------------------------------------------------------------------------

function ksr_request_route()
    route_reqinit()
    route_natdetect()
    route_transactions()
    route_withindlg()

    -- Initial requests from here on (no To tag).
    route_auth()

    -- Preloaded Route headers are dropped; dialog-forming requests are record-routed so the
    -- dialog's later requests come through us too (RFC 3261 §16.6 item 4).
    KSR.hdr.remove("Route")
    if KSR.is_method("INVITE|SUBSCRIBE") then
        KSR.rr.record_route()
    end
    if KSR.is_INVITE() then
        KSR.setflag(FLT_ACC)
    end

    route_sipout()
    route_registrar()

    -- Requests for our domains need a user: sip:alice@<us>.
    if pv("$rU") == "" then
        KSR.sl.sl_send_reply(484, "Address Incomplete")
        KSR.x.exit()
    end
    route_location()
end

-- Responses: returning lets them go back along their Via path; KSR.x.drop() would stop one.
function ksr_reply_route()
end

-- tm runs this when every branch of an INVITE failed (set by route_relay). A cancelled call
-- ends here; this is the place to re-route a failed one (voicemail, another target).
function ksr_failure_manage()
    if KSR.tm.t_is_canceled() > 0 then return end
end
