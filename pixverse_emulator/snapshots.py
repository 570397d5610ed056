"""Snapshots as use cases: save, list, fetch, upload, restore and delete.

A snapshot is one file (`store/snapshots.py`) holding the whole state, uploaded bytes
included. Restoring replaces the state exactly; ids go on above every id ever handed
out, so a restored older snapshot never hands one out again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import Conflict, InvalidField, NotFound
from .notifications import Notifications
from .store.base import storing
from .store.schema import StateFileError
from .store.snapshots import BadSnapshotName, check_name, read_snapshot, write_snapshot


class Snapshots(Notifications):
    def save_snapshot(self, name: str, overwrite: bool = False) -> dict[str, Any]:
        """The whole state into the snapshot `name` (409 if it exists, unless told)."""
        path = self._snapshot_path(name)
        with self._unit(None):
            if path.exists() and not overwrite:
                raise Conflict(f"snapshot {name!r} exists; send \"overwrite\": true to replace it",
                               reason="snapshot_exists")
            meta = {**self._meta(), "created": self.clock.now()}
            with storing(f"snapshot {name!r}"):
                write_snapshot(path, self.world, meta, self.files)
        return self.shelf.describe(name)

    def list_snapshots(self) -> list[dict[str, Any]]:
        return [self.shelf.describe(name) for name in self.shelf.names()]

    def snapshot_file(self, name: str) -> Path:
        """The file of an existing snapshot, for download."""
        path = self._snapshot_path(name)
        if not path.is_file():
            raise NotFound(f"no snapshot {name!r}", reason="unknown_snapshot")
        return path

    def receiving_snapshot(self, name: str) -> Path:
        """Where an uploaded snapshot's bytes go while they arrive."""
        self._snapshot_path(name)
        return self.shelf.incoming(name)

    def put_snapshot(self, name: str, received: Path) -> dict[str, Any]:
        """Keep an uploaded file as the snapshot `name`, once it proves to be one."""
        try:
            read_snapshot(received, self.settings.auth, self.settings.profile)
        except StateFileError as exc:
            received.unlink(missing_ok=True)
            problem = str(exc).replace(str(received), "body")
            raise InvalidField(f"snapshot: {problem}", reason="snapshot_file") from exc
        with storing(f"snapshot {name!r}"):
            os.replace(received, self._snapshot_path(name))
        return self.shelf.describe(name)

    def restore_snapshot(self, name: str) -> None:
        path = self.snapshot_file(name)
        with self._unit(None):
            try:
                self._install(path)
            except StateFileError as exc:
                raise InvalidField(f"snapshot {name!r}: {exc}", reason="snapshot_file") from exc

    def delete_snapshot(self, name: str) -> None:
        self.snapshot_file(name).unlink()

    def _snapshot_path(self, name: str) -> Path:
        try:
            return self.shelf.path(check_name(name))
        except BadSnapshotName as exc:
            raise InvalidField(str(exc), reason="snapshot_name") from exc
