"""pixverse-emulator: an offline stand-in for WorldRouter's PixVerse-compatible API."""

from __future__ import annotations

from .app import create_app
from .clock import ManualClock, SystemClock
from .core import Emulator
from .errors import EmulatorError
from .settings import Settings, TeamConfig
from .tasks import Status
from .version import __version__

__all__ = [
    "Emulator",
    "EmulatorError",
    "ManualClock",
    "Settings",
    "Status",
    "SystemClock",
    "TeamConfig",
    "__version__",
    "create_app",
]
