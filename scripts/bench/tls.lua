-- TLS benchmark script (scripts/bench/tls.cfg): every request gets 200 OK.
function ksr_request_route()
    KSR.sl.sl_send_reply(200, "OK")
end
