from mailhelpers import link_of, read_eml


def test_send_link_then_set_password(world, cli, ok, outbox_dir):
    data = ok("password", "send-link", "max.mueller", "mia.meier")
    assert [r["login"] for r in data["links"]] == ["max.mueller", "mia.meier"]
    assert data["delivery"]["sent"] == 2
    mails = read_eml(outbox_dir)
    assert len(mails) == 2
    token = link_of(mails[0])
    r = cli("password", "set", "--password-stdin", "--json", input=f"{token}\nKorrekt-Pferd-Batterie-9\n")
    assert r.exit_code == 0, r.stdout + r.stderr
