#!/usr/bin/env python3
"""The legitimate client of the flood benchmark (scripts/bench/flood.sh).

Every 100 ms it starts a REGISTER and an INVITE to the router from its own address, and
retransmits each as an RFC 3261 client transaction over UDP does (section 17.1): timer A/E
start at T1 = 500 ms and double (non-INVITE capped at T2 = 4 s), an INVITE stops
retransmitting at its first provisional response, and a transaction fails after 64*T1 = 32 s
(timers B/F) or when the run's grace period ends first. A transaction succeeds on a 2xx.
Latency is from its first send to its final response. Prints one line:
  CLIENT started=N ok=N failed=N success_pct=P p50_ms=X p99_ms=Y max_ms=Z retransmissions=R
"""
import argparse
import random
import select
import socket
import time

T1, T2, TIMEOUT = 0.5, 4.0, 32.0


class Txn:
    def __init__(self, method, branch, text, now):
        self.method, self.branch, self.text = method, branch, text
        self.start = now
        self.interval = T1
        self.next = now + T1
        self.provisional = False
        self.done = False


def request(method, branch, local, target, user, seq, call_id):
    ruri = f"sip:{user}@{target[0]}:{target[1]}"
    lines = [
        f"{method} {ruri} SIP/2.0",
        f"Via: SIP/2.0/UDP {local[0]}:{local[1]};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:{user}@example.com>;tag=t{branch[-8:]}",
        f"To: <sip:{user}@example.com>",
        f"Call-ID: {call_id}",
        f"CSeq: {seq} {method}",
        f"Contact: <sip:{user}@{local[0]}:{local[1]}>",
    ]
    if method == "REGISTER":
        lines.append("Expires: 300")
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def header(msg, name):
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() == name:
            return v.strip()
    return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-t", "--target", required=True, help="ip:port of the router")
    ap.add_argument("-b", "--bind", default="127.0.0.77")
    ap.add_argument("-d", "--duration", type=float, default=20.0)
    ap.add_argument("-g", "--grace", type=float, default=8.0,
                    help="seconds after the last start before unfinished ones count as failed")
    ap.add_argument("-i", "--interval", type=float, default=0.1)
    a = ap.parse_args()
    host, port = a.target.rsplit(":", 1)
    target = (host, int(port))
    if not host.startswith("127."):
        raise SystemExit("loopback targets only")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((a.bind, 0))
    local = s.getsockname()
    run = "%08x" % random.getrandbits(32)
    txns = {}
    latencies, failed, retrans, seq = [], 0, 0, 0
    start = time.monotonic()
    next_start = start
    end_starts = start + a.duration
    end_all = end_starts + a.grace
    while True:
        now = time.monotonic()
        if now >= end_all:
            break
        if now >= next_start and now < end_starts:
            for method in ("REGISTER", "INVITE"):
                seq += 1
                branch = f"z9hG4bK{run}{seq:08d}"
                text = request(method, branch, local, target, "legit", seq,
                               f"{run}-{seq}@flood-client")
                t = Txn(method, branch, text, now)
                txns[branch] = t
                s.sendto(text, target)
            next_start += a.interval
        pending = [t for t in txns.values() if not t.done]
        if not pending and now >= end_starts:
            break
        wake = min([t.next for t in pending if not (t.method == "INVITE" and t.provisional)] +
                   [next_start if now < end_starts else end_all, end_all])
        r, _, _ = select.select([s], [], [], max(0.0, wake - time.monotonic()))
        now = time.monotonic()
        if r:
            while True:
                try:
                    data = s.recv(65535, socket.MSG_DONTWAIT).decode(errors="replace")
                except BlockingIOError:
                    break
                if not data.startswith("SIP/2.0 "):
                    continue
                code = int(data[8:11])
                via = header(data, "via") or header(data, "v")
                branch = via.split("branch=")[1].split(";")[0] if "branch=" in via else ""
                t = txns.get(branch)
                if t is None or t.done:
                    continue
                if code < 200:
                    t.provisional = True
                    continue
                t.done = True
                if 200 <= code < 300:
                    latencies.append(now - t.start)
                else:
                    failed += 1
        for t in txns.values():
            if t.done:
                continue
            if now - t.start >= TIMEOUT:
                t.done = True
                failed += 1
                continue
            if t.method == "INVITE" and t.provisional:
                continue
            if now >= t.next:
                s.sendto(t.text, target)
                retrans += 1
                t.interval = t.interval * 2 if t.method == "INVITE" else min(t.interval * 2, T2)
                t.next = now + t.interval
    unfinished = sum(1 for t in txns.values() if not t.done)
    failed += unfinished
    started = len(txns)
    lat = sorted(latencies)

    def pct(p):
        if not lat:
            return 0.0
        k = max(0, min(len(lat) - 1, int(-(-p * len(lat) // 100)) - 1))
        return lat[k] * 1000

    print(f"CLIENT started={started} ok={len(lat)} failed={failed} "
          f"success_pct={100.0 * len(lat) / max(1, started):.2f} p50_ms={pct(50):.1f} "
          f"p99_ms={pct(99):.1f} max_ms={(lat[-1] * 1000 if lat else 0):.1f} "
          f"retransmissions={retrans}")


if __name__ == "__main__":
    main()
