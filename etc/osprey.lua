-- Osprey default routing script: the shape of Kamailio's default configuration
-- (kamailio-basic-kemi-lua), in KEMI Lua, so the same KSR.* calls run unchanged on both.
--
-- Osprey calls ksr_request_route() for every request that passed the core's checks and
-- ksr_reply_route() for every response it receives. Functions return Kamailio's codes:
-- negative is failure, and Lua takes any number as true, so always compare (`< 0`, `> 0`).
--
-- What it does depends on the modules etc/osprey.cfg loads (KSR.<module> is nil otherwise):
--   sl, maxfwd (needed)      Max-Forwards, local replies
--   sanity, siputils, rr, pv malformed requests answered 400/416/420/505, in-dialog requests
--                            routed by their Route set, Record-Route on dialog-forming ones
--   tm, tmx                  stateful forwarding (t_relay, CANCEL and retransmission handling)
--                            instead of stateless forward()
--   usrloc, registrar        REGISTER for our domains saved; requests to our users looked up
--   auth                     digest authentication of REGISTER and of our users' calls
--                            (set AUTH_REALM and fill password() below)
-- Without tm, registrar and auth this is a stateless proxy: requests for our own domains get
-- 404, everything else is forwarded to its Request-URI.

-- Configuration of this script --------------------------------------------------------------

-- Digest realm; nil disables authentication even when the auth module is loaded.
local AUTH_REALM = nil -- e.g. "example.com"

-- The password of a user of AUTH_REALM, or nil when unknown. Replace with a lookup of your
-- own (a Lua table, a file read at start-up, ...).
local USERS = {
    -- alice = "secret",
}
local function password(user)
    return USERS[user]
end

-- Where requests for our domains go when there is no registrar (nil: answer 404).
local LOCAL_TARGET = nil -- e.g. "sip:10.0.0.10:5060"

-- Flags (KSR.setflag / isflagset)
local FLT_ACC = 1 -- reserved for accounting, as Kamailio's default config

-- Helpers ---------------------------------------------------------------------------------

local function pv(name)
    if KSR.pv == nil then return "" end
    return KSR.pv.get(name) or ""
end

-- Relays the request: statefully when tm is loaded, else statelessly.
local function relay()
    if KSR.tm ~= nil then
        if KSR.is_INVITE() then KSR.tm.t_on_failure("ksr_failure_manage") end
        if KSR.tm.t_relay() < 0 then
            KSR.sl.sl_reply_error()
        end
    elseif KSR.forward() < 0 then
        KSR.sl.sl_reply_error()
    end
    KSR.x.exit()
end

-- Per-request checks ------------------------------------------------------------------------

local function route_reqinit()
    -- RFC 3261 §16.3 item 3: loop protection (inserts Max-Forwards: 70 when missing).
    local mf = KSR.maxfwd.process_maxfwd(10)
    if mf == -1 or mf == -2 then
        KSR.sl.sl_send_reply(483, "Too Many Hops")
        KSR.x.exit()
    end
    -- Malformed requests: sanity answers them itself (400/416/420/505).
    if KSR.sanity ~= nil and KSR.sanity.sanity_check(17895, 7) < 0 then
        KSR.err("malformed SIP request from " .. pv("$si") .. ":" .. pv("$sp"))
        KSR.x.exit()
    end
    -- Keep-alive pings to the proxy itself.
    if KSR.is_OPTIONS() and KSR.is_myself_ruri() and pv("$rU") == "" then
        KSR.sl.sl_send_reply(200, "Keepalive")
        KSR.x.exit()
    end
end

-- Clients behind NAT: replies go back to the address and port the request came from.
local function route_natdetect()
    KSR.force_rport()
end

-- CANCEL and retransmissions (tm only: statelessly, a CANCEL is just forwarded).
local function route_transactions()
    if KSR.tm == nil then return end
    if KSR.is_CANCEL() then
        if KSR.tm.t_check_trans() > 0 then relay() end
        KSR.x.exit()
    end
    if not KSR.is_ACK() then
        if KSR.tmx ~= nil and KSR.tmx.t_precheck_trans() > 0 then
            -- a retransmission of a request still being routed by another worker
            KSR.tm.t_check_trans()
            KSR.x.exit()
        end
        if KSR.tm.t_check_trans() == 0 then KSR.x.exit() end
    end
end

-- Requests inside a dialog (To tag present) follow their Route set. Without rr (nothing
-- record-routed) they are routed like initial requests.
local function route_withindlg()
    if KSR.siputils == nil or KSR.rr == nil then return end
    if KSR.siputils.has_totag() < 0 then return end
    if KSR.rr.loose_route() > 0 then
        if KSR.is_BYE() then
            KSR.setflag(FLT_ACC) -- the end of a call, for accounting
        end
        relay()
    end
    if KSR.is_ACK() then
        -- tm: an ACK for a 2xx it relayed goes on, one for a negative reply it sent is
        -- absorbed; stateless: forwarded to the Request-URI like everything else
        if KSR.tm == nil or KSR.tm.t_check_trans() > 0 then relay() end
        KSR.x.exit()
    end
    KSR.sl.sl_send_reply(404, "Not here")
    KSR.x.exit()
end

-- Digest authentication: REGISTER for our domains, and requests from our users.
local function route_auth()
    if KSR.auth == nil or AUTH_REALM == nil then return end
    local from_us = KSR.is_myself(pv("$fu"))
    if not (KSR.is_REGISTER() and KSR.is_myself_ruri()) and not from_us then
        return -- calls from elsewhere to our users need no credentials
    end
    local user = pv("$au")
    local pass = user ~= "" and password(user) or nil
    if pass == nil or KSR.auth.pv_auth_check(AUTH_REALM, pass, 0, 1) < 0 then
        KSR.auth.auth_challenge(AUTH_REALM, 1)
        KSR.x.exit()
    end
    -- the credentials are for us, not for the next hop
    if not KSR.is_REGISTER() then KSR.auth.consume_credentials() end
end

-- REGISTER for our domains.
local function route_registrar()
    if not KSR.is_REGISTER() then return end
    if not KSR.is_myself_ruri() then return end -- relayed to the registrar it names
    if KSR.registrar == nil then
        KSR.sl.sl_send_reply(404, "No registrar here")
        KSR.x.exit()
    end
    if KSR.registrar.save("location", 0) < 0 then
        KSR.sl.sl_reply_error()
    end
    KSR.x.exit()
end

-- Requests to our users.
local function route_location()
    if KSR.registrar ~= nil then
        local rc = KSR.registrar.lookup("location")
        if rc < 0 then
            if rc == -2 then
                KSR.sl.sl_send_reply(405, "Method Not Allowed")
            else
                KSR.sl.sl_send_reply(404, "Not Found")
            end
            KSR.x.exit()
        end
        relay()
    end
    if LOCAL_TARGET == nil then
        KSR.sl.sl_send_reply(404, "Not Here")
        KSR.x.exit()
    end
    KSR.setdsturi(LOCAL_TARGET)
    relay()
end

-- Entry points ------------------------------------------------------------------------------

function ksr_request_route()
    route_reqinit()
    route_natdetect()
    route_transactions()
    route_withindlg()

    -- Initial requests from here on: preloaded Route headers are dropped, as Kamailio's
    -- default configuration does (in-dialog requests were routed by loose_route above).
    if KSR.hdr ~= nil and KSR.rr ~= nil then KSR.hdr.remove("Route") end

    route_auth()

    -- Stay on the path of dialog-forming requests (RFC 3261 §16.6 item 4).
    if KSR.rr ~= nil and KSR.is_method("INVITE|SUBSCRIBE") then
        KSR.rr.record_route()
    end

    route_registrar()

    if KSR.is_myself_ruri() then
        if KSR.is_ACK() then KSR.x.exit() end -- nothing to acknowledge statelessly
        route_location()
    end

    -- Elsewhere: to $du when set, else the Request-URI.
    relay()
end

-- Responses: returning lets them go back along their Via path; KSR.x.drop() would stop one.
function ksr_reply_route()
end

-- tm failure route, when tm is loaded: KSR.tm.t_on_failure("ksr_failure_manage") before
-- t_relay() makes tm call this when every branch failed (nothing here re-routes yet).
function ksr_failure_manage()
    if KSR.tm ~= nil and KSR.tm.t_is_canceled() > 0 then return end
end
