"""The tenantctl command line: Typer + Rich only. Parse, call a service, print. No SQL, no rules."""

# First of all: cli/process.py registers the exit handler that must run after every other one.
from tenantctl.cli import process as process
