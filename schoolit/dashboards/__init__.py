"""Dashboards: read-only views and exports for school authorities."""
