"""pixverse-emulator: an offline stand-in for WorldRouter's PixVerse-compatible API.

Names load on first use (PEP 562), so `import pixverse_emulator.pytest_plugin`, which pytest
does in every run of a project that installs this package, does not pull in FastAPI.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .clock import ManualClock, SystemClock
    from .core import Emulator
    from .domain.tasks import Status
    from .errors import EmulatorError
    from .http.app import create_app
    from .http.server import LiveServer
    from .settings import Settings, TeamConfig

__all__ = [
    "Emulator",
    "EmulatorError",
    "LiveServer",
    "ManualClock",
    "Settings",
    "Status",
    "SystemClock",
    "TeamConfig",
    "__version__",
    "create_app",
]

_WHERE = {
    "create_app": ".http.app",
    "ManualClock": ".clock",
    "SystemClock": ".clock",
    "Emulator": ".core",
    "EmulatorError": ".errors",
    "LiveServer": ".http.server",
    "Settings": ".settings",
    "TeamConfig": ".settings",
    "Status": ".domain.tasks",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'pixverse_emulator' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
