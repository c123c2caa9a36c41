"""`python -m bench [NAME] [options]`: run a benchmark by name (default: all)."""

from __future__ import annotations

import sys

BENCHES = {"mail": "bench.mail_bench", "import": "bench.import_bench", "web": "bench.web_bench",
           "remote": "bench.remote_bench", "startup": "bench.startup_bench", "apply": "bench.apply_bench",
           "exit": "bench.exit_bench"}


def main(argv: list[str]) -> int:
    import importlib

    from bench.compiled import precompile

    names = [a for a in argv if not a.startswith("-")][:1] or list(BENCHES)
    rest = [a for a in argv if a not in names]
    if any(name not in BENCHES for name in names):
        print(f"unknown benchmark {names[0]!r}; known: {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    precompile(sys.executable)
    for name in names:
        code = importlib.import_module(BENCHES[name]).main(rest)
        if code:
            return int(code)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
