"""`pixverse-emulator [--host H] [--port P] [--config FILE] [--data-dir DIR] ...`: one
process, one emulator."""

from __future__ import annotations

import argparse
import gc
import socket
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from .banner import banner
from .core import Emulator
from .http.app import create_app
from .http.serving import (
    bind,
    is_loopback,
    lock_control_plane,
    server,
    url_host,
    with_tls_files,
)
from .settings import Settings
from .store.folder import FolderInUse
from .store.schema import StateFileError
from .version import __version__
from .workers import supervise

# The collector's thresholds while serving (Python's are 700, 10, 10). Every create
# allocates a dozen tracked objects that live until the task is let go of, so a young-
# generation pass came every ~60 creates; one every 5,000 allocations took 7% more
# creates a second under bench_vs_wiremock.py's load. The older generations keep their
# ratios: garbage in cycles is still collected within a few hundred thousand allocations.
GC_THRESHOLDS = (5000, 10, 10)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="pixverse-emulator",
        description="Serve an offline emulator of WorldRouter's PixVerse routes.",
        epilog="Every setting can also come from PIXVERSE_EMULATOR_<NAME> (see the README).",
    )
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8080)")
    parser.add_argument("--config", metavar="FILE", help="a TOML settings file")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="keep the state in this folder across restarts (default: memory)")
    parser.add_argument("--store", metavar="STORE",
                        help="where the state lives: memory, sqlite (in --data-dir) or a "
                             "redis:// URL that several processes share")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="N processes serving one port (needs a redis:// store)")
    parser.add_argument("--worker-fd", type=int, help=argparse.SUPPRESS)  # workers.py's
    parser.add_argument("--snapshot", metavar="FILE",
                        help="start from this snapshot file when the state is new")
    parser.add_argument("--seed", type=int, help="make a fresh run's ids repeatable")
    parser.add_argument("--admin-token", metavar="TOKEN",
                        help="the bearer token the control plane /_emulator/* needs")
    parser.add_argument("--profile", choices=["worldrouter", "pixverse"],
                        help="the API to play: WorldRouter's gateway (default) or PixVerse's own")
    parser.add_argument("--quiet", action="store_true", default=None,
                        help="no line per request on stderr")
    parser.add_argument("--log-format", choices=["text", "json"],
                        help="the request lines as text (default) or JSON lines")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def load_settings(args: argparse.Namespace) -> Settings:
    try:
        return Settings.load(args.config, host=args.host, port=args.port,
                             data_dir=args.data_dir, store=args.store, workers=args.workers,
                             snapshot=args.snapshot, seed=args.seed,
                             admin_token=args.admin_token, quiet=args.quiet,
                             profile=args.profile,
                             log_format=args.log_format)
    except (OSError, ValueError) as exc:  # ValidationError and TOMLDecodeError are ValueErrors
        detail = exc if not isinstance(exc, ValidationError) else _settings_errors(exc)
        sys.exit(f"pixverse-emulator: bad settings: {detail}")


def _settings_errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
    )


def shared_token_ok(settings: Settings) -> bool:
    """Processes sharing a store need one admin token, given: a generated one would
    differ per process. Loopback (open) and admin_open need none."""
    return (settings.admin_token is not None or settings.admin_open
            or is_loopback(settings.host))


def open_emulator(settings: Settings) -> Emulator:
    """The emulator, or exit 1 with why its state cannot be opened (a folder another
    server holds, a damaged or newer database, an unusable snapshot)."""
    try:
        return Emulator(settings)
    except (FolderInUse, StateFileError) as exc:
        sys.exit(f"pixverse-emulator: {exc}")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    settings = load_settings(args)
    if settings.store_kind == "redis" and not shared_token_ok(settings):
        sys.exit("pixverse-emulator: several processes share this store, and a token "
                 "generated for one would not open the others' control plane: set "
                 "admin_token (--admin-token or PIXVERSE_EMULATOR_ADMIN_TOKEN), or "
                 "admin_open = true")
    if settings.workers > 1 and args.worker_fd is None:
        sock = bind(settings.host, settings.port)
        sys.exit(supervise(settings, sys.argv[1:] if argv is None else list(argv), sock))
    serving = lock_control_plane(settings)
    emulator = open_emulator(serving.settings)
    with_tls_files(serving, emulator.store.root)
    settings = serving.settings
    # Bound first: the banner names the real port. A worker serves its supervisor's.
    sock = bind(settings.host, settings.port) if args.worker_fd is None else \
        socket.socket(fileno=args.worker_fd)
    scheme = "https" if settings.tls_cert else "http"
    url = f"{scheme}://{url_host(settings.host)}:{sock.getsockname()[1]}"
    emulator.base_url = settings.public_url or url  # for URLs made without a request
    for line in banner(emulator, url, serving.notices):
        print(line, file=sys.stderr, flush=True)
    # The app closes the emulator at shutdown (uvicorn re-raises SIGTERM once it has
    # shut down, so code after run() would never run).
    app = create_app(emulator, close_at_shutdown=True)
    # What start-up built lives as long as the server: kept out of the collector's passes
    # (a few hundred objects of start-up garbage stay too). See __main__.run.
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    gc.enable()
    server(app, settings, log_level="warning").run(sockets=[sock])
