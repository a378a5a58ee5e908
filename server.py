"""Start Parley's reviewer webapp (development server).

Until the webapp lands, this opens (or creates) the store, prints what it holds, and says so.
"""
from __future__ import annotations

import argparse
import sys

from datastore import MTurkDataHandler, StoreUnavailable
from datastore.engine import default_url, safe_url


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Parley's reviewer webapp (development server).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument(
        "--db", default=None, metavar="URL",
        help="database URL (default: PARLEY_DATABASE_URL, else sqlite:///data/parley.db)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.db or default_url()
    try:
        handler = MTurkDataHandler(db_url=url)
    except StoreUnavailable as exc:
        print(f"server.py: {exc}", file=sys.stderr)
        return 2
    runs = handler.get_all_run_data()
    print(f"Store ready: {safe_url(url)} ({len(runs)} runs).")
    print("The reviewer's webapp is not built yet; this command will start it once it is.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
