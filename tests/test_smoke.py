def test_tenant_create_and_list(cli, ok, db_url):
    ok("tenant", "create", "ACME Reseller AG", "--kind", "reseller")
    data = ok("tenant", "create", "Müller & Söhne GmbH", "--kind", "customer", "--reseller", "acme-reseller-ag")
    assert data["key"] == "mueller-soehne-gmbh"
    assert data["connection_state"] == "active"


def test_world_on_both_backends(world, ctx_for, backend):
    from store.services import tenants

    with ctx_for(world["reseller_admin"]) as ctx:
        keys = [t["key"] for t in tenants.list_tenants(ctx).items]
    assert keys == ["acme", "mueller"]
