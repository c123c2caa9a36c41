"""The HTTP face of tenantctl (`tenantctl serve`)."""
