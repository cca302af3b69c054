# router-setup.sh: sourced by the router benchmark scripts (run-anchor.sh, ir-table.sh,
# ir-per-req.sh, rpc-disturb.sh).
# The configs in scripts/bench/ listen on UDP 127.0.0.1:5070 and relay to the UAS on
# 127.0.0.1:5090. On a shared machine another benchmark may be using those ports, and a router
# that receives someone else's load measures garbage. So each run picks two free ports and runs
# copies of the configs (and Lua scripts) with the ports replaced. The ports have four digits
# like 5070 and 5090, so every message keeps its length and instructions per request compare.

# Someone listens on UDP port $1.
port_busy() { ss -Hlun "sport = :$1" 2>/dev/null | grep -q .; }
# Port $1 is held by process $2 or its children, and by nobody else: two UDP sockets with
# SO_REUSEADDR can share a port, and then another benchmark would take part of our load.
owns_port() {
    local holders mine p
    holders=$(ss -Hlunp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)
    [ -n "$holders" ] || return 1
    mine=" $(tree_of "$2") "
    for p in $holders; do [[ $mine == *" $p "* ]] || return 1; done
    return 0
}
# Process $1 and all its descendants, space separated.
tree_of() {
    ps -e -o pid=,ppid= | awk -v root="$1" '
        { parent[$1] = $2 }
        END { keep[root] = 1; changed = 1
              while (changed) { changed = 0
                  for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } }
              for (p in keep) printf "%s ", p }'
}
# Waits (PORT_WAIT seconds at most) until nobody listens on PROXY_PORT and UAS_PORT: on a shared
# machine another benchmark may hold them for a while. False, with a message, when they stay taken.
ports_free() {
    local waited=0
    while port_busy $PROXY_PORT || port_busy $UAS_PORT; do
        if [ $waited -ge $((PORT_WAIT * 5)) ]; then
            echo "UDP port $PROXY_PORT or $UAS_PORT still in use after ${PORT_WAIT}s; refusing to start" >&2
            return 1
        fi
        [ $waited = 0 ] && echo "waiting for UDP ports $PROXY_PORT/$UAS_PORT to be free..." >&2
        waited=$((waited + 1))
        sleep 0.2
    done
}

# Sets PROXY_PORT and UAS_PORT to two free UDP ports in 5100-9899, unless both are set already.
bench_pick_ports() {
    [ -n "${PROXY_PORT:-}" ] && [ -n "${UAS_PORT:-}" ] && return 0
    local p u
    for _ in $(seq 1 200); do
        p=$((5100 + RANDOM % 4800)) u=$((5100 + RANDOM % 4800))
        [ "$p" = "$u" ] && continue
        port_busy $p || port_busy $u && continue
        PROXY_PORT=$p UAS_PORT=$u
        return 0
    done
    echo "no free pair of UDP ports found" >&2
    return 1
}

# bench_router_cmd ROUTER CONFIG DIR CHILDREN SHM_MB: sets the array router_cmd to the command
# running ROUTER (osprey | kamailio) in the foreground with CONFIG (stateless | stateful |
# registrar | dispatcher) on PROXY_PORT, relaying to UAS_PORT, from copies written to DIR. Osprey runs
# scripts/bench/CONFIG.cfg; Kamailio scripts/bench/kamailio/{stateless,stateful-lua,
# registrar-lua}.cfg with the same Lua script (tlsf, SHM_MB of shared memory, 16 MB private).
# Needs bench_dir (scripts/bench) and build_dir set.
bench_router_cmd() {
    local router=$1 config=${2%-lua} dir=$3 children=$4 shm=$5 lua="" kcfg
    local ports="s/127\.0\.0\.1:5070/127.0.0.1:$PROXY_PORT/g; s/127\.0\.0\.1:5090/127.0.0.1:$UAS_PORT/g"
    mkdir -p "$dir"
    case "$config" in
        stateless) kcfg=stateless.cfg ;;
        stateful) kcfg=stateful-lua.cfg lua=stateful.lua ;;
        registrar) kcfg=registrar-lua.cfg lua=registrar.lua ;;
        dispatcher) kcfg=dispatcher-lua.cfg lua=dispatcher.lua
            sed -e "$ports" "$bench_dir/dispatcher.list" >"$dir/dispatcher.list" || return 1 ;;
        *) echo "unknown benchmark config '$config'" >&2; return 1 ;;
    esac
    case "$router" in
        osprey)
            # the config names its script relative to itself: the copies sit side by side
            sed -e "$ports" "$bench_dir/$config.cfg" >"$dir/$config.cfg" || return 1
            sed -e "$ports" "$bench_dir/$config.lua" >"$dir/$config.lua" || return 1
            router_cmd=("$build_dir/osprey" -D -E -f "$dir/$config.cfg" -n "$children") ;;
        kamailio)
            sed -e "$ports" -e "s/^#!define UAS_PORT 5090/#!define UAS_PORT $UAS_PORT/" \
                "$bench_dir/kamailio/common.inc" >"$dir/common.inc" || return 1
            cp "$bench_dir/kamailio/$kcfg" "$dir/$kcfg" || return 1
            router_cmd=(kamailio -DD -E -f "$dir/$kcfg" -m "$shm" -M 16 -n "$children" -x tlsf)
            if [ -n "$lua" ]; then
                sed -e "$ports" "$bench_dir/$lua" >"$dir/$lua" || return 1
                router_cmd+=(-A "LUA_SCRIPT=\"$dir/$lua\"")
            fi
            if [ "$config" = dispatcher ]; then
                router_cmd+=(-A "DS_LIST=\"$dir/dispatcher.list\"")
            fi ;;
        *) echo "unknown router '$router'" >&2; return 1 ;;
    esac
}

# utime + stime clock ticks of a list of pids (0 for none), from /proc/<pid>/stat
cpu_ticks() {
    local p t=0 f
    for p in "$@"; do
        f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        f=${f##*) }
        set -- $f
        t=$((t + ${12} + ${13}))
    done
    echo $t
}

# stop_tree PID [TREE...]: TERM to the router, up to 5 s for it to exit, then KILL whatever is
# left of the process tree tree_of listed while it ran (workers it could not reap).
stop_tree() {
    local pid=$1 p
    shift
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    for p in "$@"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
}
