"""Where the state comes from and goes back to: opening a store, resuming what it holds,
starting from the configured teams or a snapshot, restoring one, and resets.

A restore or a global reset replaces the whole state: the snapshot's files first, then
the records in one transaction, then the files nobody names any more, so a crash at any
point leaves either the old state or the new one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .clock import ManualClock
from .domain.accounts import Accounts
from .domain.faults import FaultBook
from .domain.uploads import upload_id
from .domain.world import World
from .errors import StoreUnavailable
from .ids import IdSource
from .state import State
from .store.base import NO_CHANGES, Changes, Saved, StoreError, storing
from .store.folder import BASELINE
from .store.schema import StateFileError
from .store.snapshots import copy_files, read_snapshot


class Lifecycle(State):
    def _open(self) -> None:
        """Resume what the store holds; else start from the snapshot setting or the
        configured teams, and write that down as the first state. With a shared store,
        under its lease: of processes starting together, one writes the first state and
        the others resume it."""
        self.ids = IdSource(self._rng)
        if not self._shared:
            self._open_state()
            return
        try:
            with self._unit(None):
                self._open_state()
        except StoreUnavailable as exc:
            raise StateFileError(str(exc)) from exc

    def _open_state(self) -> None:
        saved = self.store.load(self.settings.auth)
        if saved is not None:
            self._resume(saved)
            return
        if self.settings.snapshot is not None:
            self._adopt_baseline(Path(self.settings.snapshot))
        self._start_over(keep_faults_from=None)

    def _when_store_empty(self) -> None:
        self._start_over(keep_faults_from=None)

    def _adopt_baseline(self, source: Path) -> None:
        """Keep the snapshot to start from (and reset to) beside the state, once it has
        proved whole: a file that is not a usable snapshot changes nothing."""
        read_snapshot(source, self.settings.auth, self.settings.profile)
        copying = self._baseline.with_name(self._baseline.name + ".new")
        shutil.copyfile(source, copying)
        os.replace(copying, self._baseline)

    @property
    def _baseline(self) -> Path:
        """The snapshot this state started from: what a reset goes back to."""
        return self.store.root / BASELINE

    def _resume(self, saved: Saved) -> None:
        self.world = saved.world
        self.ids = IdSource(self._rng, high=int(saved.meta["id_high"]))
        self._set_clock(saved)
        if not self._shared:  # other processes may be writing a file they will name soon
            self.files.sweep(set(self.world.uploads.files))  # uploads cut short by a crash

    def _start_over(self, keep_faults_from: FaultBook | None) -> None:
        """The world as it starts: the baseline snapshot's, or the configured teams."""
        if self._baseline.is_file():
            self._install(self._baseline)
            return
        old = self.world
        next_fault = keep_faults_from.next_id if keep_faults_from else 1
        self.world = World(Accounts(self.settings.auth), faults=FaultBook(next_fault))
        for team in self.settings.teams:
            self._open_configured(team.id)
        self._replace_stored(old)

    def _install(self, source: Path) -> None:
        """Replace the whole state with a snapshot's: files first, then the records in
        one transaction, then the files nobody names any more."""
        saved = read_snapshot(source, self.settings.auth, self.settings.profile,
                              entries=not self.store.copies_snapshots)
        with storing("the snapshot's uploaded files"):
            copy_files(source, saved.world.uploads.all(), self.files)
        old = self.world
        self.world = saved.world
        self.ids.keep_above(int(saved.meta.get("id_high", 0)))
        self._set_clock(saved)
        self._replace_stored(old, saved.source)

    def _replace_stored(self, old: World, source: Path | None = None) -> None:
        """Store the new world whole; once that holds, the old world's files and objects
        go on the janitor's thread, not in this request."""
        self._changes = Changes() if self.store.durable else NO_CHANGES
        try:
            self.store.replace(self.world, self._meta(), source)
        except StoreError as exc:
            self._reload()
            raise StoreUnavailable(f"the state could not be saved: {exc}") from exc
        named = self.world.uploads.files
        self.files.remove_later([token for token in old.uploads.files if token not in named])
        janitor = self.files.janitor
        janitor.later(old.dismantle(janitor.stopping))

    def reset(self, team: str | None = None) -> None:
        """Everything back to the start (the baseline snapshot, else the configured
        teams): no tasks, uploads, faults, policies, journal entries or clock offsets.
        With `team`, only that team's share of each, so parallel test workers can share
        one server. Ids go on from where they were: a reset never reuses one."""
        with self._unit(team):
            if team is not None:
                self._reset_team(team)
                return
            self._start_over(keep_faults_from=self.world.faults)
            self.journal.clear()

    def _reset_team(self, team_id: str) -> None:
        tokens = self.world.remove_team(team_id)
        self.evictor.forget(team_id)
        self._changes.drop_team(team_id, tokens)
        self.journal.clear(team_id)
        if self._baseline.is_file():
            self._adopt_from_baseline(team_id)
        elif any(team.id == team_id for team in self.settings.teams):
            self._open_configured(team_id)
        if not self.store.durable:
            self._free_files(tokens)  # a data folder frees them once the commit is done

    def _adopt_from_baseline(self, team_id: str) -> None:
        baseline = read_snapshot(self._baseline, self.settings.auth, self.settings.profile)
        if not isinstance(self.clock, ManualClock):
            baseline.world.offsets.clear()
        uploads = self.world.adopt_team(baseline.world, team_id)
        with storing("the snapshot's uploaded files"):
            copy_files(self._baseline, uploads, self.files)
        changes = self._changes
        changes.team(team_id)
        changes.ledger(team_id)
        for task in self.world.tasks.of_team(team_id):
            changes.task(task)
        for upload in uploads:
            changes.upload(upload_id(upload), upload)
        changes.offset(team_id)
        changes.fault_rules()
        changes.meta_value("fault_next_id")
