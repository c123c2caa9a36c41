"""One module per noun. Modules import only typer, rich and store.enums/errors at load time, so
that `tenantctl --help` stays fast; services are imported inside the commands."""
