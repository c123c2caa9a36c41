"""`tenantctl serve` under load, each figure a ratio to a baseline measured in the same run.

    python -m bench web [--seconds 6] [--clients 8] [--requests 600]

1. Login check: requests per second of POST /api/v1/auth/login with 8 concurrent keep-alive
   clients on loopback (one uvicorn worker, SQLite), against a bare loop of argon2 verifications of
   the same hash in this process (argon2 is the floor). Target: at least 0.8x per worker.
2. Page GET: p50 and p99 latency of the set-password page (token cookie checked against the store,
   page rendered) against a bare hello-world endpoint of the same framework on the same server,
   requests interleaved. Target: at most 3x.

3. Scale-out (with --postgres URL, default $TENANTCTL_TEST_DATABASE_URL): the login check of 1 then
   2 uvicorn worker processes on a fresh PostgreSQL database, each against the bare argon2 loop.
   Targets: 2 workers >= 1.6x one worker; per worker >= 0.8x the argon2 loop.

The server runs in its own process (`--serve`), so client and server do not share a GIL."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PASSWORD = "Sonnenblume-Kaffeetasse-91"
LOGIN = "bench.user"


def bench_app() -> Any:
    """The bench server's app (a factory, for uvicorn's worker processes): the real app without
    rate limits, plus GET /bench/hello."""
    from fastapi.responses import PlainTextResponse

    from tenantctl.store.settings import load_settings
    from tenantctl.web.app import create_app
    from tenantctl.web.limits import Limits

    app = create_app(load_settings(), limits=Limits.unlimited())

    @app.get("/bench/hello")
    def hello() -> PlainTextResponse:
        return PlainTextResponse("hello")

    return app


def serve(port: int, workers: int = 1) -> None:
    import uvicorn

    uvicorn.run("bench.web_bench:bench_app", factory=True, host="127.0.0.1", port=port, workers=workers,
                access_log=False, log_level="warning")


def prepare(home: Path) -> str:
    """A store with one customer user whose password is set; returns a fresh password-link token."""
    from tenantctl.store.actor import operator_actor
    from tenantctl.store.context import Ctx
    from tenantctl.store.db import Store
    from tenantctl.store.migrate import upgrade
    from tenantctl.store.services import passwords, tenants, users
    from tenantctl.store.settings import load_settings

    settings = load_settings()
    store = Store(settings.database_url, create=True)
    upgrade(store)

    def tx() -> Any:
        return store.transaction()

    with tx() as s:
        ctx = Ctx(s, operator_actor(), settings)
        tenants.create_tenant(ctx, "Bench Reseller AG", "reseller", key="bench-reseller")
        tenants.create_tenant(ctx, "Bench Kunde GmbH", "customer", reseller="bench-reseller", key="bench-kunde")
        users.create_user(ctx, "bench-kunde", "Bench", "User", "bench.user@example.com", role="admin")
    for purpose in ("set", "page"):
        with tx() as s:
            ctx = Ctx(s, operator_actor(), settings)
            link = passwords.issue_links(ctx, [users.get_user(ctx, LOGIN)], mail=False)[0]
            token = passwords.mint_now(ctx, [link])[link.id]
        if purpose == "set":
            with tx() as s:
                passwords.redeem(Ctx(s, operator_actor(), settings), token, PASSWORD)
    store.dispose()
    return token


def argon2_rate(seconds: float) -> float:
    from tenantctl.store import passwords

    stored = passwords.hash_password(PASSWORD)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        assert passwords.verify_password(stored, PASSWORD)
        n += 1
    return n / (time.perf_counter() - start)


def login_rate(base: str, clients: int, seconds: float) -> tuple[float, int]:
    import httpx

    stop = time.perf_counter() + seconds
    counts = [0] * clients
    errors: list[str] = []

    def run(i: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            while time.perf_counter() < stop:
                r = c.post("/api/v1/auth/login", json={"login": LOGIN, "password": PASSWORD})
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                    return
                counts[i] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"login failed during the benchmark: {errors[0]}")
    return sum(counts) / (time.perf_counter() - start), sum(counts)


def page_latencies(base: str, token: str, requests: int) -> dict[str, list[float]]:
    import httpx

    out: dict[str, list[float]] = {"page": [], "hello": []}
    with httpx.Client(base_url=base, timeout=30) as c:
        c.cookies.set("password_link", token, path="/password/set")
        for path in ("/password/set", "/bench/hello") * 20:  # warm-up
            c.get(path)
        for _ in range(requests):
            for name, path in (("page", "/password/set"), ("hello", "/bench/hello")):
                start = time.perf_counter()
                r = c.get(path)
                out[name].append((time.perf_counter() - start) * 1000)
                if r.status_code != 200 or (name == "page" and "Passwort festlegen" not in r.text):
                    raise SystemExit(f"GET {path}: {r.status_code}")
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench web")
    parser.add_argument("--seconds", type=float, default=6.0, help="duration of the login run and the argon2 loop")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=600, help="page GETs per endpoint")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("TENANTCTL_TEST_DATABASE_URL"),
                        help="PostgreSQL server for the 1-vs-2-workers login run (a database is created and "
                             "dropped); default $TENANTCTL_TEST_DATABASE_URL")
    parser.add_argument("--no-sqlite", action="store_true", help="only the PostgreSQL scale-out run")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve, args.workers)
        return 0
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="tenantctl-web-bench-") as tmp:
            code = run(Path(tmp), args)
        if code:
            return code
    if args.postgres:
        with tempfile.TemporaryDirectory(prefix="tenantctl-web-bench-") as tmp:
            return scale_out(Path(tmp), args)
    print("scale-out run skipped: no PostgreSQL (--postgres URL or TENANTCTL_TEST_DATABASE_URL)", file=sys.stderr)
    return 0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    import httpx

    server = subprocess.Popen([sys.executable, "-m", "bench.web_bench", "--serve", str(port), "--workers",
                               str(workers)], cwd=Path(__file__).resolve().parents[1])
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/bench/hello", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise SystemExit("the bench server did not start")
        time.sleep(0.1)


def scale_out(home: Path, args: argparse.Namespace) -> int:
    """Login throughput of 1 and 2 server processes on one PostgreSQL database."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    name = f"tenantctl_bench_{uuid.uuid4().hex[:10]}"
    url = make_url(args.postgres)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    runs: dict[int, dict[str, float]] = {}
    try:
        port = free_port()
        os.environ.update({"TENANTCTL_HOME": str(home), "TENANTCTL_BASE_URL": f"http://127.0.0.1:{port}",
                           "TENANTCTL_DATABASE_URL": url.set(drivername="postgresql+psycopg", database=name)
                           .render_as_string(hide_password=False)})
        prepare(home)
        for workers in (1, 2):
            server = start_server(port, workers)
            try:
                login_rate(f"http://127.0.0.1:{port}", args.clients, 1.0)  # warm-up: every worker's connections
                half = args.seconds / 2
                floor = argon2_rate(half)
                rate, _ = login_rate(f"http://127.0.0.1:{port}", args.clients, args.seconds)
                floor = (floor + argon2_rate(half)) / 2
            finally:
                server.terminate()
                server.wait(30)
            runs[workers] = {"per_second": round(rate, 1), "argon2_verifications_per_second": round(floor, 1),
                             "ratio_per_worker": round(rate / workers / floor, 2)}
    finally:
        os.environ.pop("TENANTCTL_DATABASE_URL", None)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    speedup = runs[2]["per_second"] / runs[1]["per_second"]
    report = {"login_postgresql": {"clients": args.clients, "cores": os.cpu_count(), "workers_1": runs[1],
                                   "workers_2": runs[2], "speedup_2_over_1": round(speedup, 2),
                                   "target": "speedup >= 1.6; ratio_per_worker >= 0.8"}}
    print(json.dumps(report, indent=2))
    print(f"login check on PostgreSQL: 1 worker {runs[1]['per_second']}/s ({runs[1]['ratio_per_worker']}x argon2), "
          f"2 workers {runs[2]['per_second']}/s ({runs[2]['ratio_per_worker']}x argon2 per worker) -> "
          f"{speedup:.2f}x (targets: >= 1.6x, >= 0.8x per worker)", file=sys.stderr)
    return 0


def run(home: Path, args: argparse.Namespace) -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    os.environ.update({"TENANTCTL_HOME": str(home), "TENANTCTL_BASE_URL": base})
    os.environ.pop("TENANTCTL_DATABASE_URL", None)
    token = prepare(home)
    server = start_server(port)
    try:
        lat = page_latencies(base, token, args.requests)  # first: a login voids the user's open links
        half = args.seconds / 2
        floor_before = argon2_rate(half)
        logins_per_s, logins = login_rate(base, args.clients, args.seconds)
        floor_after = argon2_rate(half)
        floor = (floor_before + floor_after) / 2
    finally:
        server.terminate()
        server.wait(10)
    page50, page99 = pct(lat["page"], 0.5), pct(lat["page"], 0.99)
    hello50, hello99 = pct(lat["hello"], 0.5), pct(lat["hello"], 0.99)
    report = {
        "login": {"clients": args.clients, "workers": 1, "requests": logins, "per_second": round(logins_per_s, 1),
                  "argon2_verifications_per_second": round(floor, 1),
                  "ratio_per_worker": round(logins_per_s / floor, 2), "target": ">= 0.8"},
        "page_get": {"requests": args.requests, "set_password_ms": {"p50": round(page50, 2), "p99": round(page99, 2)},
                     "hello_ms": {"p50": round(hello50, 2), "p99": round(hello99, 2)},
                     "ratio_p50": round(page50 / hello50, 2), "ratio_p99": round(page99 / hello99, 2),
                     "target": "<= 3"},
    }
    print(json.dumps(report, indent=2))
    print(f"login check: {logins_per_s:.1f}/s with {args.clients} clients vs argon2 floor {floor:.1f}/s "
          f"-> {logins_per_s / floor:.2f}x per worker (target >= 0.8)", file=sys.stderr)
    print(f"set-password page: p50 {page50:.2f} ms, p99 {page99:.2f} ms; hello: p50 {hello50:.2f} ms, "
          f"p99 {hello99:.2f} ms -> {page50 / hello50:.2f}x / {page99 / hello99:.2f}x (target <= 3)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
