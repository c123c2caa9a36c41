"""`python -m bench [NAME] [options]`: run a benchmark by name (default: all)."""

from __future__ import annotations

import sys

BENCHES = {"mail": "bench.mail_bench", "import": "bench.import_bench", "web": "bench.web_bench",
           "remote": "bench.remote_bench", "startup": "bench.startup_bench", "apply": "bench.apply_bench"}


def main(argv: list[str]) -> int:
    import importlib

    names = [a for a in argv if not a.startswith("-")][:1] or list(BENCHES)
    rest = [a for a in argv if a not in names]
    for name in names:
        if name not in BENCHES:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHES)}", file=sys.stderr)
            return 2
        code = importlib.import_module(BENCHES[name]).main(rest)
        if code:
            return int(code)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
