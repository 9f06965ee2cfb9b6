#!/usr/bin/env python3
# Prints a TCP port of 127.0.0.1 that nothing is bound to, below the
# kernel's ephemeral range (ip_local_port_range, ip(7)): a port taken with
# bind(0) and closed can meanwhile become any outgoing connection's local
# port, and the server the test then starts on it fails with EADDRINUSE
# (seen when two test passes ran side by side). Outside that range only
# another explicit bind can take it.
import random
import socket

lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    p = random.randrange(10000, lo) if lo > 12000 else 0
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(s.getsockname()[1])
    break
