"""`lazy_names`: a package's names imported from its submodules on first use (PEP 562),
for packages a server needs only later (the media probes, the video writer)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_names(package: str, where: dict[str, str], namespace: dict[str, Any]
               ) -> Callable[[str], Any]:
    """The package's `__getattr__`: `where` maps a name to its submodule (".render");
    a name once loaded is kept in `namespace` (the package's globals)."""

    def __getattr__(name: str) -> Any:
        if name not in where:  # also how `from . import module` finds a submodule
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(where[name], package), name)
        namespace[name] = value
        return value

    return __getattr__
