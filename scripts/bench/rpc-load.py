#!/usr/bin/env python3
"""rpc-load.py: the control-plane side of scripts/bench/rpc-disturb.sh.

Persistent connections (one JSON-RPC unix socket, one HTTP keep-alive), so the load is the
router's work and not connection set-up. Modes:

  mix   --json SOCK --http HOST:PORT --rate N --duration S
        N calls per second, round robin: `stats.fetch all` (JSON-RPC), `ul.dump brief FIRST
        SLOTS` (the next page, wrapping), `GET /metrics`. Prints one line per kind:
        RPC kind=... calls=... errors=... p50_ms=... p99_ms=... max_ms=...
  fill  --json SOCK --count N
        N distinct AoRs through `ul.add`, pipelined 1,000 requests at a time.
        Prints FILL count=... errors=... seconds=...
  dump  --json SOCK --slots K [--dump-mode brief|full]
        a whole `ul.dump` in pages of K slots (following Stats: Next-Slot).
        Prints DUMP records=... pages=... seconds=... page_max_ms=... max_slot_lock_us=...
  metrics --http HOST:PORT --count N
        N sequential GET /metrics. Prints METRICS count=... bytes=... p50_ms=... max_ms=...
"""
import argparse
import http.client
import json
import socket
import sys
import time


class JsonRpc:
    """JSON-RPC over a unix socket: one request, one newline-terminated answer."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1

    def send(self, method, params):
        doc = {"jsonrpc": "2.0", "method": method, "params": params, "id": self.next_id}
        self.next_id += 1
        self.sock.sendall(json.dumps(doc).encode() + b"\n")

    def send_many(self, calls):
        out = []
        for method, params in calls:
            out.append(json.dumps({"jsonrpc": "2.0", "method": method, "params": params,
                                   "id": self.next_id}).encode())
            self.next_id += 1
        self.sock.sendall(b"\n".join(out) + b"\n")

    def receive(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("the control socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, method, params):
        self.send(method, params)
        return self.receive()


def pct(values, p):
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p / 100))]


def fmt(kind, lat, errors):
    return (f"RPC kind={kind} calls={len(lat)} errors={errors} p50_ms={pct(lat, 50):.3f} "
            f"p99_ms={pct(lat, 99):.3f} max_ms={max(lat) if lat else 0:.3f}")


def dump_page(rpc, first, slots, mode="brief"):
    """One page; (records, next slot or None, max slot lock us)."""
    ans = rpc.call("ul.dump", [mode, first, slots])
    if "result" not in ans:
        raise RuntimeError(f"ul.dump answered {ans}")
    records, nxt, lock_us = 0, None, 0
    for d in ans["result"]["Domains"]:
        st = d["Domain"]["Stats"]
        records += st["Records"]
        lock_us = max(lock_us, st.get("Max-Slot-Us", 0))
        if "Next-Slot" in st:
            nxt = st["Next-Slot"]
    return records, nxt, lock_us


def mode_mix(a):
    rpc = JsonRpc(a.json)
    host, port = a.http.rsplit(":", 1)
    web = http.client.HTTPConnection(host, int(port), timeout=30)
    lat = {"stats.fetch": [], "ul.dump": [], "metrics": []}
    err = {k: 0 for k in lat}
    period = 1.0 / a.rate
    start = time.monotonic()
    next_at = start
    i = 0
    page = 0
    while time.monotonic() - start < a.duration:
        now = time.monotonic()
        if now < next_at:
            time.sleep(next_at - now)
        next_at += period
        kind = ("stats.fetch", "ul.dump", "metrics")[i % 3]
        i += 1
        t0 = time.perf_counter()
        try:
            if kind == "stats.fetch":
                ans = rpc.call("stats.fetch", ["all"])
                ok = "result" in ans
            elif kind == "ul.dump":
                _, nxt, _ = dump_page(rpc, page, a.slots)
                page = nxt if nxt is not None else 0
                ok = True
            else:
                web.request("GET", "/metrics")
                resp = web.getresponse()
                body = resp.read()
                ok = resp.status == 200 and len(body) > 0
        except Exception as e:  # noqa: BLE001 - a benchmark counts failures, it does not stop
            print(f"{kind}: {e}", file=sys.stderr)
            ok = False
        lat[kind].append((time.perf_counter() - t0) * 1000)
        if not ok:
            err[kind] += 1
    for k in lat:
        print(fmt(k, lat[k], err[k]))
    print(f"RPC kind=all calls={i} rate={i / (time.monotonic() - start):.1f}")


def mode_fill(a):
    rpc = JsonRpc(a.json)
    t0 = time.perf_counter()
    errors = 0
    batch = 1000
    for base in range(0, a.count, batch):
        n = min(batch, a.count - base)
        rpc.send_many([("ul.add", ["location", f"bench{base + k}@bench.example",
                                   f"sip:bench{base + k}@127.0.0.1:5999", 3600])
                       for k in range(n)])
        for _ in range(n):
            if "error" in rpc.receive():
                errors += 1
    print(f"FILL count={a.count} errors={errors} seconds={time.perf_counter() - t0:.2f}")


def mode_dump(a):
    rpc = JsonRpc(a.json)
    t0 = time.perf_counter()
    first, pages, records, page_max, lock_max = 0, 0, 0, 0.0, 0
    while first is not None:
        p0 = time.perf_counter()
        n, first, lock_us = dump_page(rpc, first, a.slots, a.mode_dump)
        page_max = max(page_max, (time.perf_counter() - p0) * 1000)
        records += n
        pages += 1
        lock_max = max(lock_max, lock_us)
    print(f"DUMP mode={a.mode_dump} records={records} pages={pages} slots_per_page={a.slots} "
          f"seconds={time.perf_counter() - t0:.3f} page_max_ms={page_max:.3f} "
          f"max_slot_lock_us={lock_max}")


def mode_metrics(a):
    host, port = a.http.rsplit(":", 1)
    web = http.client.HTTPConnection(host, int(port), timeout=30)
    lat, size = [], 0
    for _ in range(a.count):
        t0 = time.perf_counter()
        web.request("GET", "/metrics")
        resp = web.getresponse()
        body = resp.read()
        lat.append((time.perf_counter() - t0) * 1000)
        size = len(body)
        if resp.status != 200:
            raise RuntimeError(f"GET /metrics answered {resp.status}")
    print(f"METRICS count={len(lat)} bytes={size} p50_ms={pct(lat, 50):.3f} "
          f"p99_ms={pct(lat, 99):.3f} max_ms={max(lat):.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["mix", "fill", "dump", "metrics"])
    ap.add_argument("--json", help="JSON-RPC unix socket")
    ap.add_argument("--http", help="HOST:PORT of rpc_http_listen")
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--slots", type=int, default=16)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--dump-mode", dest="mode_dump", choices=["brief", "full"], default="brief")
    a = ap.parse_args()
    {"mix": mode_mix, "fill": mode_fill, "dump": mode_dump, "metrics": mode_metrics}[a.mode](a)


if __name__ == "__main__":
    main()
