"""Tests against a real primary and streaming standby."""
