-- The flood benchmark's routing (scripts/bench/flood.sh), run unchanged by Osprey
-- (scripts/bench/flood.cfg) and Kamailio (scripts/bench/kamailio/flood-lua.cfg). Its flood
-- handling is kamailio-basic-kemi-lua.lua's: a banned source is dropped at once, pike finds
-- new flooders and bans them in the htable "ipban" (when the router has the htable module;
-- without it pike's own answer drops them). Then OPTIONS are answered, REGISTER saved, and
-- everything else relayed statefully to the UAS.
local UAS_URI = "sip:127.0.0.1:5090"

function ksr_request_route()
    local srcip = KSR.pv.get("$si")
    -- The reference script leaves out KSR.is_myself_srcip(); here that is the bench's own
    -- address, which sends the OPTIONS whose cost is measured.
    if srcip ~= "127.0.0.1" then
        if KSR.htable then
            if KSR.htable.sht_match_name("ipban", "eq", srcip) > 0 then
                KSR.x.exit()
            end
        end
        if KSR.pike.pike_check_req() < 0 then
            KSR.err("ALERT: pike blocking " .. KSR.pv.get("$rm") .. " from " ..
                    KSR.pv.get("$fu") .. " (IP:" .. srcip .. ")\n")
            if KSR.htable then KSR.htable.sht_seti("ipban", srcip, 1) end
            KSR.x.exit()
        end
    end
    if KSR.is_OPTIONS() then
        KSR.sl.sl_send_reply(200, "OK")
        return 1
    end
    if KSR.is_REGISTER() then
        if KSR.registrar.save("location", 0) < 0 then KSR.sl.sl_reply_error() end
        return 1
    end
    if KSR.tm.t_check_trans() == 0 then return 1 end
    KSR.setdsturi(UAS_URI)
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
    return 1
end
