"""`python -m pixverse_emulator`, and `run`, the `pixverse-emulator` script."""

from __future__ import annotations

import gc


def run() -> None:
    # Building the server makes some 100,000 objects that live as long as it does, and
    # little garbage; the collector's passes over them while they were made were ~40 ms
    # of the time to the first answer. It stays off until the app is built: `cli.main`
    # then freezes what exists (out of every later pass) and turns it back on.
    gc.disable()
    from .cli import main

    main()


if __name__ == "__main__":
    run()
