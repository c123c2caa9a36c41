"""python -m bench [mail] [--count N]"""

from __future__ import annotations

import sys

from bench import mail_bench


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")] or ["mail"]
    rc = 0
    for name in names:
        if name == "mail":
            rc |= mail_bench.main([a for a in argv if a.startswith("-") or a.isdigit()])
        else:
            print(f"unknown benchmark {name!r} (known: mail)", file=sys.stderr)
            rc = 2
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
