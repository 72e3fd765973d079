"""The probe agent (`schoolit-probe`): runs from cron on a machine in a school or county network, polls
access points and uplink routers by SNMP and posts the samples to the server.

It imports nothing of the server (no database, web framework, ORM or other domain; checked by
`tests/unit/probes/test_agent_package.py`), so it installs and runs on a small machine without them.
Its modules: `cli` (the command and its exit codes), `wire` (the contract with the server), `snmp` (one
poll per target), `controller_poll` and `controller_profiles` (WLAN controllers answering for their
access points), `v2c` and `snmpv3` (the SNMP clients), `udp` and `icmp` (sockets, the ping fallback),
`spool` (batches waiting for the server), `workers` (sweeps split over processes) and `profiles` (what
to ask each vendor). The SNMPv3 protocols it polls with are `schoolit.snmp_protocols`, the one list the
inventory offers as well.
"""
