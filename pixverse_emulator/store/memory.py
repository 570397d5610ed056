"""`MemoryStore`: the state lives only in the world object; files in a temp folder that
goes at exit. Nothing to load, nothing to commit."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..domain.accounts import AuthMode
from ..domain.world import World
from .base import Changes, Saved
from .files import FileArea


class MemoryStore:
    durable = False

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pixverse-emulator-"))
        self.files = FileArea(self.root)

    def load(self, auth: AuthMode) -> Saved | None:
        return None

    def refresh(self, team_id: str | None) -> None:
        return None

    def commit(self, world: World, changes: Changes, meta: dict[str, Any]) -> None:
        return None

    def replace(self, world: World, meta: dict[str, Any]) -> None:
        return None

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
