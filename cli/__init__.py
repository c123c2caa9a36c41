"""The tenantctl command line: Typer + Rich only. Parse, call a service, print. No SQL, no rules."""
