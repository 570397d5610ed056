"""The event loop the servers run on: uvloop where it is installed (a dependency on the
platforms it supports), else the standard library's.

uvloop's loop is subclassed here so that `serving.Server.startup` can wrap its
`create_server` for the TLS handshake deadline, as it does asyncio's (a C type takes no
instance attributes; a Python subclass of it does).
"""

from __future__ import annotations

import asyncio


def event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # a platform uvloop does not build on: asyncio is enough
        return asyncio.new_event_loop()

    class Loop(uvloop.Loop):
        """uvloop's loop, able to take an instance attribute."""

    return Loop()

