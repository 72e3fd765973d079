"""The loopback ports the SNMP tests, the benchmark and the demo hand to dead devices."""

from __future__ import annotations

import socket
from pathlib import Path

from schoolit.probes.simulators import LOOPBACK, closed_udp_ports


def test_closed_ports_are_free_distinct_and_never_handed_out_as_ephemeral_ports() -> None:
    # A dead device's port inside the ephemeral range could be given to the probe's own socket (or
    # another tool's), which would then hear the requests: the "dead" device would time out instead
    # of being refused at once. Seen once in ten benchmark sweeps before the ports moved out.
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    ports = closed_udp_ports(200)
    assert len(set(ports)) == 200
    assert all(1024 <= port < 65536 and not low <= port <= high for port in ports)
    for port in ports[:20]:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((LOOPBACK, port))  # nobody listens there
