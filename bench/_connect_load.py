"""Load for bench/trace_bench.ts: a loopback listener, and RATE TCP connections a second to it
(connect, accept, the server closes first, the client closes), paced evenly. Prints "ready PORT"
once listening, then a "+" for every 100 connections; runs until killed. RATE 0: the listener
alone (idle)."""
import socket
import sys
import time

rate = float(sys.argv[1])
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(128)
print("ready", server.getsockname()[1], flush=True)
if rate <= 0:
    while True:
        time.sleep(3600)
interval = 1 / rate
next_at = time.monotonic()
made = 0
while True:
    client = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    accepted.close()
    client.recv(1)
    client.close()
    made += 1
    if made % 100 == 0:
        print("+", end="", flush=True)
    next_at += interval
    pause = next_at - time.monotonic()
    if pause > 0:
        time.sleep(pause)
