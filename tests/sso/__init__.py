"""Real sign-in servers for the single sign-on tests: OpenLDAP's slapd and Node's oidc-provider."""
