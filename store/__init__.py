"""The core of tenantctl: models, rules, services, migrations. Never imports cli, typer or rich."""
