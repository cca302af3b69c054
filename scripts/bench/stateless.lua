-- Stateless forwarding for the router benchmark (scripts/bench/run-anchor-stateless.sh), the
-- KEMI equivalent of Kamailio's stateless.cfg in the benchmark kit: every request goes to the UAS on
-- 127.0.0.1:5090 with forward(); replies come back statelessly through the core.
function ksr_request_route()
    if KSR.maxfwd.process_maxfwd(10) < 0 then
        KSR.sl.sl_send_reply(483, "Too Many Hops")
        return
    end
    KSR.setdsturi("sip:127.0.0.1:5090")
    KSR.forward()
end
