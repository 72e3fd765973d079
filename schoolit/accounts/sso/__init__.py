"""Single sign-on: people sign in through a county's directory (LDAP / Active Directory) or an
OpenID Connect provider; their groups map to a role and a scope through mappings the admin edits."""
