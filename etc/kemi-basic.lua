-- Osprey's basic KEMI routing script: the route structure of Kamailio's reference example
-- (kamailio-basic-kemi-lua.lua), written for this project. A registrar and stateful proxy
-- with digest authentication from the subscriber table, trusted peers from the address
-- table, flood protection (pike, with offenders kept in the htable "ipban"), accounting,
-- NAT detection and media relay. Load it with etc/kemi-basic.cfg (script = "kemi-basic.lua").
--
-- Entry points called by Osprey: ksr_request_route (every request) and ksr_reply_route
-- (every reply). The other global functions are armed per transaction with t_on_branch,
-- t_on_reply and t_on_failure.

-- Message flags (per request, kept by the transaction).
FLT_ACC = 1        -- account the transaction (acc log_flag / db_flag)
FLT_ACCMISSED = 2  -- account a call that was not answered (log_missed_flag / db_missed_flag)
FLT_ACCFAILED = 3  -- account a failed transaction (failed_transaction_flag)
FLT_NATS = 5       -- the sender is behind a NAT

-- Branch flags (saved with a registered contact).
FLB_NATB = 6        -- the contact is behind a NAT (usrloc nat_bflag)
FLB_NATSIPPING = 7  -- keep its NAT binding open with OPTIONS (nathelper sipping_bflag)

-- User-Agent fragments of known SIP scanners: they get a 200 and nothing else.
local SCANNER_UA = { "friendly", "scanner", "sipcli", "sipvicious" }

local function source_text()
    return KSR.kx.get_method() .. " from " .. KSR.kx.get_furi() .. " (IP:" .. KSR.kx.get_srcip()
               .. ":" .. KSR.kx.get_srcport() .. ")"
end

local function is_scanner(ua)
    for _, fragment in ipairs(SCANNER_UA) do
        if string.find(ua, fragment, 1, true) then return true end
    end
    return false
end

-- Requests ---------------------------------------------------------------------------------

function ksr_request_route()
    route_sanity()
    route_detect_nat()

    if KSR.is_CANCEL() then
        -- Only a CANCEL of a transaction we know goes on.
        if KSR.tm.t_check_trans() > 0 then route_relay() end
        return 1
    end

    if not KSR.is_ACK() then
        -- A retransmission: tm answers it (or it is being handled by another worker).
        if KSR.tmx.t_precheck_trans() > 0 then
            KSR.tm.t_check_trans()
            return 1
        end
        if KSR.tm.t_check_trans() == 0 then return 1 end
    end

    route_in_dialog()
    route_authenticate()

    -- Initial requests from here on: no preloaded Route set is honoured.
    KSR.hdr.remove("Route")
    if KSR.is_method_in("IS") then KSR.rr.record_route() end
    if KSR.is_INVITE() then KSR.setflag(FLT_ACC) end

    route_foreign_domain()
    route_register()

    if KSR.corex.has_ruri_user() < 0 then
        KSR.sl.sl_send_reply(484, "Address Incomplete")
        return 1
    end

    route_to_user()
    return 1
end

-- Statefully forwards the request, arming the per-transaction routes it needs once.
function route_relay()
    if KSR.is_method_in("IBSU") and KSR.tm.t_is_set("branch_route") < 0 then
        KSR.tm.t_on_branch("branch_media")
    end
    if KSR.is_method_in("ISU") and KSR.tm.t_is_set("onreply_route") < 0 then
        KSR.tm.t_on_reply("reply_media")
    end
    if KSR.is_INVITE() and KSR.tm.t_is_set("failure_route") < 0 then
        KSR.tm.t_on_failure("failure_media")
    end
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
    KSR.x.exit()
end

-- Drops banned and flooding sources, scanners, looping and malformed requests.
function route_sanity()
    KSR.set_reply_no_connect()
    KSR.force_rport()

    if not KSR.is_myself_srcip() then
        local ip = KSR.kx.get_srcip()
        if KSR.htable.sht_match_name("ipban", "eq", ip) > 0 then
            KSR.dbg("banned source: " .. source_text() .. "\n")
            KSR.x.exit()
        end
        if KSR.pike.pike_check_req() < 0 then
            KSR.err("pike: banning " .. source_text() .. "\n")
            KSR.htable.sht_seti("ipban", ip, 1)
            KSR.x.exit()
        end
    end

    if is_scanner(KSR.kx.gete_ua()) then
        KSR.sl.sl_send_reply(200, "OK")
        KSR.x.exit()
    end

    if KSR.maxfwd.process_maxfwd(10) < 0 then
        KSR.sl.sl_send_reply(483, "Too Many Hops")
        KSR.x.exit()
    end

    -- A keepalive OPTIONS addressed to the proxy itself.
    if KSR.is_OPTIONS() and KSR.is_myself_ruri() and KSR.corex.has_ruri_user() < 0 then
        KSR.sl.sl_send_reply(200, "Keepalive")
        KSR.x.exit()
    end

    if KSR.sanity.sanity_check(17895, 7) < 0 then
        KSR.err("malformed request from " .. KSR.kx.get_srcip() .. ":" .. KSR.kx.get_srcport()
                    .. "\n")
        KSR.x.exit()
    end
end

-- Requests with a To tag follow their dialog's route set.
function route_in_dialog()
    if KSR.siputils.has_totag() < 0 then return 1 end

    if KSR.rr.loose_route() > 0 then
        route_dialog_target()
        if KSR.is_BYE() then
            -- The end of a call is accounted, even when the BYE fails.
            KSR.setflag(FLT_ACC)
            KSR.setflag(FLT_ACCFAILED)
        elseif KSR.is_ACK() then
            route_media()
        elseif KSR.is_NOTIFY() then
            KSR.rr.record_route()  -- RFC 6665 §4.3
        end
        route_relay()
    end

    if KSR.is_ACK() then
        -- The ACK of a negative final reply we forwarded; anything else is dropped.
        if KSR.tm.t_check_trans() > 0 then route_relay() end
        KSR.x.exit()
    end
    KSR.sl.sl_send_reply(404, "Not here")
    KSR.x.exit()
end

-- REGISTER: saved in the location table, NAT'd contacts marked for relaying and pinging.
function route_register()
    if not KSR.is_REGISTER() then return 1 end
    if KSR.isflagset(FLT_NATS) then
        KSR.setbflag(FLB_NATB)
        KSR.setbflag(FLB_NATSIPPING)
    end
    if KSR.registrar.save("location", 0) < 0 then KSR.sl.sl_reply_error() end
    KSR.x.exit()
end

-- Requests for our users go to their registered contacts.
function route_to_user()
    local rc = KSR.registrar.lookup("location")
    if rc < 0 then
        KSR.tm.t_newtran()
        if rc == -2 then
            KSR.sl.send_reply(405, "Method Not Allowed")
        else
            KSR.sl.send_reply(404, "Not Found")
        end
        KSR.x.exit()
    end
    if KSR.is_INVITE() then KSR.setflag(FLT_ACCMISSED) end
    route_relay()
end

-- Trusted peers pass; our users authenticate; nobody relays between two foreign domains.
function route_authenticate()
    if not KSR.auth then return 1 end

    if KSR.permissions and not KSR.is_REGISTER()
            and KSR.permissions.allow_source_address(1) > 0 then
        return 1
    end

    if KSR.is_REGISTER() or KSR.is_myself_furi() then
        local realm = KSR.kx.gete_fhost()
        if KSR.auth_db.auth_check(realm, "subscriber", 1) < 0 then
            KSR.auth.auth_challenge(realm, 0)
            KSR.x.exit()
        end
        -- Credentials are for us only, except where the next hop may check them too.
        if not KSR.is_method_in("RP") then KSR.auth.consume_credentials() end
    end

    if not KSR.is_myself_furi() and not KSR.is_myself_ruri() then
        KSR.sl.sl_send_reply(403, "Not relaying")
        KSR.x.exit()
    end
    return 1
end

-- Sender behind a NAT: its REGISTER keeps the source address, other first-hop requests get
-- an alias in their Contact, and the message is flagged for media relay.
function route_detect_nat()
    if not KSR.nathelper then return 1 end
    if KSR.nathelper.nat_uac_test(19) > 0 then
        if KSR.is_REGISTER() then
            KSR.nathelper.fix_nated_register()
        elseif KSR.siputils.is_first_hop() > 0 then
            KSR.nathelper.set_contact_alias()
        end
        KSR.setflag(FLT_NATS)
    end
    return 1
end

-- Media relay for requests and replies of calls with a party behind a NAT.
function route_media()
    if not KSR.rtpproxy then return 1 end
    local request = KSR.siputils.is_request() > 0
    if request and KSR.siputils.has_totag() > 0 and KSR.rr.check_route_param("nat=yes") > 0 then
        KSR.setbflag(FLB_NATB)
    end
    if not (KSR.isflagset(FLT_NATS) or KSR.isbflagset(FLB_NATB)) then return 1 end

    KSR.rtpproxy.rtpproxy_manage("co")

    if request then
        -- Mark the dialog so that its later requests are relayed too.
        if KSR.siputils.has_totag() < 0 and KSR.tmx.t_is_branch_route() > 0 then
            KSR.rr.add_rr_param(";nat=yes")
        end
    elseif KSR.siputils.is_reply() > 0 and KSR.isbflagset(FLB_NATB) then
        KSR.nathelper.set_contact_alias()
    end
    return 1
end

-- In-dialog requests to a contact behind a NAT go to the alias its Contact carried.
function route_dialog_target()
    if not KSR.nathelper then return 1 end
    if not KSR.isdsturiset() then KSR.nathelper.handle_ruri_alias() end
    return 1
end

-- Requests for other domains are relayed with a hint.
function route_foreign_domain()
    if KSR.is_myself_ruri() then return 1 end
    KSR.hdr.append("P-Hint: outbound\r\n")
    route_relay()
end

-- Per-transaction routes --------------------------------------------------------------------

function branch_media()
    KSR.dbg("branch " .. KSR.pv.get("$T_branch_idx") .. " to " .. KSR.kx.get_ruri() .. "\n")
    route_media()
    return 1
end

function reply_media()
    local status = KSR.kx.get_status()
    if status > 100 and status < 299 then route_media() end
    return 1
end

function failure_media()
    route_media()
    return 1
end

-- Replies ----------------------------------------------------------------------------------

function ksr_reply_route()
    if KSR.sanity.sanity_check(17604, 6) < 0 then
        KSR.err("malformed reply from " .. KSR.kx.get_srcip() .. ":" .. KSR.kx.get_srcport()
                    .. "\n")
        KSR.x.drop()
    end
    return 1
end
