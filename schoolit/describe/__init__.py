"""Resource descriptions and their toolkit: a resource is declared once as a `resource.Resource`, and its
API Structs, form, input checks, CSV columns and list query derive from it. Shared by the domains that
describe their resources (inventory, tickets); it imports no domain but `accounts.scope.Scope`."""
