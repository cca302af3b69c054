-- KEMI Lua routing for the dispatcher benchmark (scripts/bench/dispatcher.cfg; Kamailio runs it
-- unchanged with scripts/bench/kamailio/dispatcher-lua.cfg): stateful INVITE calls through
-- ds_select_dst (round robin over set 1) + t_relay with failover armed (flags 2 and a failure
-- route that takes the next destination on 503/408/500). ACK and BYE follow the route set.

local function in_dialog()
    if KSR.rr.loose_route() > 0 then
        KSR.tm.t_relay()
        return
    end
    if KSR.is_ACK() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return
    end
    KSR.sl.send_reply(404, "Not here")
end

function ksr_request_route()
    if KSR.maxfwd.process_maxfwd(10) < 0 then
        KSR.sl.send_reply(483, "Too Many Hops")
        return 1
    end
    if KSR.siputils.has_totag() > 0 then
        in_dialog()
        return 1
    end
    if KSR.is_CANCEL() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return 1
    end
    -- absorb retransmissions (0 means the transaction handled it)
    if KSR.tm.t_check_trans() == 0 then return 1 end
    KSR.rr.record_route()
    if KSR.dispatcher.ds_select_dst(1, 4) < 0 then
        KSR.sl.send_reply(503, "No Destination")
        return 1
    end
    KSR.tm.t_on_failure("ds_failover")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
    return 1
end

function ds_failover()
    if KSR.tm.t_is_canceled() > 0 then return 1 end
    if KSR.tm.t_check_status("503|408|500") > 0 and KSR.dispatcher.ds_next_dst() > 0 then
        KSR.tm.t_on_failure("ds_failover")
        KSR.tm.t_relay()
    end
    return 1
end
