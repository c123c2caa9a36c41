"""Start-up of the CLI in remote mode: `tenantctl tenant list` against a local `tenantctl serve`,
against `python -c "import typer, rich, httpx"` plus the same request (one GET /api/v1/tenants
with the token), each a fresh process, interleaved round by round; the ratio is the median of the
per-round ratios. Target: at most 2x.

    python -m bench remote [--repeat 15] [--tenants 50] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tenantctl(env: dict[str, str], *args: str, input: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "tenantctl.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, input=input, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"tenantctl {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def prepare(home: Path, tenants: int) -> tuple[dict[str, str], str]:
    """A store with a reseller, its admin and `tenants` customers; the admin's token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTCTL_")}
    env.update(TENANTCTL_HOME=str(home), XDG_CONFIG_HOME=str(home / "xdg"), TENANTCTL_BASE_URL="http://127.0.0.1")
    tenantctl(env, "init", "--admin-email", "ops@bench.example", "--admin-first-name", "Olga",
              "--admin-last-name", "Peters")
    tenantctl(env, "tenant", "create", "Bench Reseller", "--kind", "reseller", "--key", "bench")
    tenantctl(env, "user", "create", "--tenant", "bench", "--first-name", "Rita", "--last-name", "Bench",
              "--email", "rita@bench.example", "--role", "admin")
    csv = "Schlüssel;Name;Art;Reseller\n" + "".join(f"kunde-{i};Kunde {i} GmbH;customer;bench\n"
                                                     for i in range(tenants))
    (home / "tenants.csv").write_text(csv, encoding="utf-8")
    tenantctl(env, "import", "run", str(home / "tenants.csv"), "--sheet", "tenants")
    token = json.loads(tenantctl(env, "--as", "rita.bench", "token", "create", "--name", "bench", "--json"))
    return env, str(token["data"]["token"])


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen([sys.executable, "-m", "tenantctl.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("tenantctl serve did not start")


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, timeout=120)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{cmd} failed: {done.stderr.decode(errors='replace').strip()}")
    return elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench remote")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        home = Path(tmp) / "home"
        env, token = prepare(home, args.tenants)
        port = free_port()
        server = start_server(env, port)
        try:
            url = f"http://127.0.0.1:{port}"
            client_env = {k: v for k, v in env.items() if not k.startswith("TENANTCTL_")}
            client_env.update(TENANTCTL_SERVER=url, TENANTCTL_TOKEN=token, XDG_CONFIG_HOME=str(Path(tmp) / "c"))
            baseline = [sys.executable, "-c",
                        "import typer, rich, httpx, os\n"
                        f"r = httpx.get('{url}/api/v1/tenants', headers={{'Authorization': 'Bearer ' + "
                        "os.environ['TENANTCTL_TOKEN']})\n"
                        "assert r.status_code == 200, r.text"]
            remote = [sys.executable, "-m", "tenantctl.cli", "tenant", "list"]
            timed(baseline, client_env), timed(remote, client_env)  # warm the file cache
            rounds: list[dict[str, Any]] = []
            for _ in range(args.repeat):
                b = timed(baseline, client_env)
                r = timed(remote, client_env)
                rounds.append({"baseline": b, "remote": r, "ratio": r / b})
        finally:
            server.terminate()
            server.wait(timeout=10)
    report = {
        "repeat": args.repeat, "tenants": args.tenants,
        "baseline_s": round(statistics.median(x["baseline"] for x in rounds), 3),
        "remote_tenant_list_s": round(statistics.median(x["remote"] for x in rounds), 3),
        "ratios": {"remote tenant list/import typer, rich, httpx + request":
                   round(statistics.median(x["ratio"] for x in rounds), 2)},
    }
    print(json.dumps(report, indent=2))
    print(f"remote `tenantctl tenant list`: {report['remote_tenant_list_s']} s, baseline "
          f"{report['baseline_s']} s, ratio {report['ratios']} (median of {args.repeat}; target <= 2)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
