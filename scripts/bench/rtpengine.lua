-- KEMI Lua routing with media relay through rtpengine, run unchanged by Osprey
-- (scripts/bench/rtpengine.cfg) and Kamailio (scripts/bench/kamailio/rtpengine-lua.cfg):
-- INVITE offered to rtpengine, the 200 answered, BYE deletes; relayed statefully to the UAS.
-- The router listens on 127.0.0.1:5170, the UAS on 127.0.0.1:5190 (scripts/bench/run-rtpengine.sh).
local UAS_URI = "sip:127.0.0.1:5190"
local FLAGS = "replace-origin replace-session-connection SIP-source-address"

function ksr_request_route()
    if KSR.siputils.has_totag() > 0 then
        KSR.rr.loose_route()
        KSR.setdsturi(UAS_URI)
        if KSR.is_ACK() then
            KSR.forward()
            return 1
        end
        if KSR.is_BYE() then KSR.rtpengine.rtpengine_manage(FLAGS) end
        KSR.tm.t_relay()
        return 1
    end
    if KSR.is_CANCEL() then
        if KSR.tm.t_check_trans() > 0 then
            KSR.rtpengine.rtpengine_manage(FLAGS)
            KSR.tm.t_relay()
        end
        return 1
    end
    if KSR.tm.t_check_trans() == 0 then return 1 end
    if KSR.is_INVITE() then
        if KSR.rtpengine.rtpengine_manage(FLAGS) < 0 then
            KSR.sl.send_reply(503, "Media Relay Unavailable")
            return 1
        end
        KSR.tm.t_on_reply("ksr_onreply_media")
    end
    KSR.setdsturi(UAS_URI)
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
    return 1
end

function ksr_onreply_media()
    if KSR.pv.get("$rs") == 200 then KSR.rtpengine.rtpengine_manage(FLAGS) end
end
