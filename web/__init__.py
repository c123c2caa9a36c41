"""The HTTP face (`tenantctl serve`): the pages a mail's recipient opens and the JSON API.
FastAPI only: parse, call a service, render. Rules live in store.services."""
