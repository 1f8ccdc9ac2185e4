#!/usr/bin/env python3
"""The baseline for bench/monitor_process_bench.ts: what the earlier psutil timeline tool did per
tick, written for the bench (not its code). Every INTERVAL seconds: psutil.net_connections(), the
owner's name per pid, rows grouped by remote address, one line per remote address not seen before,
and every 10 ticks a status line. Usage: _psutil_timeline.py INTERVAL"""
import sys
import time

import psutil

interval = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
seen = {}
tick = 0
start = time.monotonic()
while True:
    began = time.monotonic()
    names = {}
    rows = {}
    for conn in psutil.net_connections(kind="inet"):
        if not conn.raddr:
            continue
        name = names.get(conn.pid)
        if name is None:
            try:
                name = psutil.Process(conn.pid).name() if conn.pid else "?"
            except psutil.Error:
                name = "?"
            names[conn.pid] = name
        row = rows.setdefault(conn.raddr.ip, {"ports": set(), "processes": set(), "state": conn.status})
        row["ports"].add(conn.raddr.port)
        row["processes"].add(name)
    stamp = time.strftime("%H:%M:%S")
    for ip, row in rows.items():
        if ip not in seen:
            ports = ",".join(str(p) for p in sorted(row["ports"])[:3])
            print(f"[{stamp}] NEW -> {ip} {row['state']}:{ports} {','.join(sorted(row['processes']))}")
        seen[ip] = tick
    tick += 1
    if tick % 10 == 0:
        print(f"[{stamp}] Status: {len(rows)} active IPs | Runtime: {int(time.monotonic() - start)}s")
    sys.stdout.flush()
    time.sleep(max(0.0, interval - (time.monotonic() - began)))
