"""Tests of single sign-on against real sign-in servers."""
