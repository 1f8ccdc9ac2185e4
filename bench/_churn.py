"""Churn for the monitor bench: every second, RATE loopback connections open and the oldest close
(each lives 2 s), until killed. Prints "started" once its listener is up.
Usage: python3 _churn.py RATE"""
import collections
import socket
import sys
import time

rate = int(sys.argv[1])
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(1024)
port = listener.getsockname()[1]
print("started", flush=True)
alive = collections.deque()
step = 1.0 / rate
next_at = time.monotonic()
while True:
    client = socket.create_connection(("127.0.0.1", port))
    server, _ = listener.accept()
    alive.append((client, server))
    while len(alive) > 2 * rate:
        for s in alive.popleft():
            s.close()
    next_at += step
    time.sleep(max(0.0, next_at - time.monotonic()))
