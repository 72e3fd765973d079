"""Probes: the SNMP cron agent, sample ingest, availability, coverage and utilisation."""
