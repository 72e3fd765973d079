"""Accounts: counties and support arrangements (the tenants), users, roles, scopes, tokens, audit log."""
