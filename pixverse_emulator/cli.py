"""`pixverse-emulator [--host H] [--port P] [--config FILE] [--data-dir DIR] ...`: one
process, one emulator."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from .banner import banner
from .core import Emulator
from .http.app import create_app
from .http.serving import bind, lock_control_plane, server, url_host, with_tls_files
from .settings import Settings
from .store.folder import FolderInUse
from .store.schema import StateFileError
from .version import __version__


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
                             data_dir=args.data_dir, snapshot=args.snapshot, seed=args.seed,
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


def open_emulator(settings: Settings) -> Emulator:
    """The emulator, or exit 1 with why its state cannot be opened (a folder another
    server holds, a damaged or newer database, an unusable snapshot)."""
    try:
        return Emulator(settings)
    except (FolderInUse, StateFileError) as exc:
        sys.exit(f"pixverse-emulator: {exc}")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    serving = lock_control_plane(load_settings(args))
    emulator = open_emulator(serving.settings)
    with_tls_files(serving, emulator.store.root)
    settings = serving.settings
    sock = bind(settings.host, settings.port)  # bound first: the banner names the real port
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
    gc.enable()
    server(app, settings, log_level="warning").run(sockets=[sock])
