-- Osprey default routing script (KEMI Lua, as for Kamailio's app_lua: the same KSR.* calls
-- run unchanged on both). Osprey calls ksr_request_route() for every request and
-- ksr_reply_route() for every response it receives.
--
-- What it does today: a stateless proxy. It grows into a proxy + registrar as the tm,
-- registrar and usrloc modules arrive.
--   * Max-Forwards checked and decremented (483 when it reaches 0; inserted when missing)
--   * OPTIONS to the proxy itself answered 200 (keep-alive pings)
--   * requests for one of our domains without a registrar answered 404
--   * everything else forwarded statelessly to its Request-URI
-- Modules it needs (etc/osprey.cfg): sl, maxfwd.

-- Where requests for our own domains would go; nil: answer 404 (no registrar yet).
local LOCAL_TARGET = nil

function ksr_request_route()
    -- RFC 3261 §16.3 step 3 / §16.6 step 3: loop protection.
    local mf = KSR.maxfwd.process_maxfwd(10)
    if mf == -1 or mf == -2 then
        KSR.sl.sl_send_reply(483, "Too Many Hops")
        return
    end

    -- Clients behind NAT: answer to the address and port the request came from.
    KSR.force_rport()

    if KSR.is_myself_ruri() then
        if KSR.is_OPTIONS() then
            KSR.sl.sl_send_reply(200, "Keepalive")
            return
        end
        if KSR.is_ACK() then
            return  -- nothing to acknowledge statelessly
        end
        if LOCAL_TARGET == nil then
            KSR.sl.sl_send_reply(404, "Not Here")
            return
        end
        KSR.setdsturi(LOCAL_TARGET)
    end

    -- Stateless relay to $du if set, else to the Request-URI.
    if KSR.forward() < 0 then
        KSR.sl.sl_reply_error()
    end
end

-- Responses: returning lets them go back statelessly along their Via path;
-- KSR.x.drop() would stop one here.
function ksr_reply_route()
end
