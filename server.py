"""Start Parley's reviewer webapp for development: `python server.py [--host H] [--port P] [--db URL]`.

Production: `gunicorn --threads 32 'webapp:create_app()'` (threads, because every worker's
chat page and the live monitor hold a connection open).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from datastore import StoreUnavailable
from datastore.engine import default_url, safe_url
from runner.server import RunnerServer
from webapp import create_app
from webapp.settings import SettingsError, config_path, first_start_password


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python server.py", description="Parley's reviewer webapp (development server).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0 = any free port)")
    parser.add_argument("--db", default=None, metavar="URL",
                        help="database URL (default: PARLEY_DATABASE_URL, else sqlite:///data/parley.db)")
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.db or default_url()
    try:
        # A first start's password is kept only once the server listens: a start that fails
        # must not leave behind the hash of a password nobody was shown.
        first_start = first_start_password()
        config = {"CONFIG_FILE_DATA": first_start.config_file} if first_start else {}
        app = create_app({"DATABASE_URL": url, **config})
        server = RunnerServer(app, args.host, args.port)
    except (SettingsError, StoreUnavailable) as exc:
        print(f"server.py: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"server.py: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    if first_start:
        try:
            first_start.keep()
        except OSError as exc:
            server.stop()
            print(f"server.py: cannot write the config file {first_start.path}: {exc.strerror}", file=sys.stderr)
            return 2
    print(f"Parley is at {server.url}/  (store: {safe_url(url)})", flush=True)
    if first_start:
        print(f"First start: the admin password is  {first_start.password}\n"
              f"It is shown only now; its hash is kept in {config_path()}. "
              "Set PARLEY_ADMIN_PASSWORD to use another.", flush=True)
    elif os.environ.get("PARLEY_ADMIN_PASSWORD"):
        print("Log in with the password in PARLEY_ADMIN_PASSWORD.", flush=True)
    else:
        print(f"Log in with the admin password (its hash is in {config_path()}).", flush=True)
    stop.wait()
    print("Stopping…", flush=True)
    for manager in app.extensions["parley"].test_runs():
        manager.shutdown()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
