"""Run the overfitting tour exactly as ``python -m cnnapps tour`` does (same arguments).

``python scripts/lab_tour.py [--format csv] [--out FILE] ...``; docs/lab.md quotes its table.
"""

from __future__ import annotations

import argparse
import sys
import time

from cnnapps.cli import tour


def main() -> int:
    parser = argparse.ArgumentParser(prog="lab_tour")
    tour.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["tour", *sys.argv[1:]])
    t0 = time.perf_counter()
    code = args.run(args)
    print(f"tour wall time: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
