"""The control plane's use cases: teams, ledgers, faults, the journal and coverage."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from .domain.faults import FaultRule, route_name
from .domain.journal import JournalEntry, matches
from .domain.ledger import Entry
from .domain.policies import OutcomeSequence, checked, parse_outcomes, parse_progression
from .domain.tasks import Task
from .domain.uploads import Upload, upload_id
from .errors import NotFound
from .lifecycle import Lifecycle
from .settings import REDACTED


class Control(Lifecycle):
    def team(self, team_id: str) -> dict[str, Any]:
        with self._unit(team_id):
            self._settle(team_id)
            team = self.accounts.get(team_id)
            if team is None:
                raise NotFound(f"no team {team_id!r}")
            account = self.ledger.account(team_id)
            view = {
                "id": team.id,
                "credits": account.available,
                "held": account.held,
                "spent": account.spent,
                "pending": self.tasks.pending(team_id),
                "pending_cap": team.pending_cap,
                "keys": sorted(team.keys),
                "progression": str(team.progression or self._progression),
                "outcomes": team.outcomes.names(),
                "now": self.now(team_id),
            }
            if self.profile.credit_pools or account.package:
                view["credit_monthly"] = account.monthly
                view["credit_package"] = account.package
            if team.webhook_url is not None or team.webhook_secret is not None:
                view["webhook_url"] = team.webhook_url  # shown once set; the secret never
                view["webhook_secret"] = None if team.webhook_secret is None else REDACTED
            return view

    def teams(self) -> list[dict[str, Any]]:
        """Every team that keeps state, as `team()` shows it, by id."""
        with self._lock:
            ids = sorted(team.id for team in self.accounts.all())
        return [self.team(team_id) for team_id in ids]

    def status_counts(self) -> dict[int, int]:
        """How many tasks are at each status, once due transitions have happened."""
        with self._unit(None):
            self._settle_all()
            return dict(self.world.tasks.status_counts())

    def list_uploads(self, team: str | None = None, limit: int = 100) -> list[Upload]:
        """Images and media, newest first (ids only grow), at most `limit`."""
        with self._lock:
            found = self.uploads.all() if team is None else self.uploads.of_team(team)
            return sorted(found, key=upload_id, reverse=True)[:limit]

    def put_team(
        self,
        team_id: str,
        *,
        credits: int | None = None,
        pending_cap: int | None = None,
        keys: Iterable[str] | None = None,
        progression: str | None = None,
        outcomes: str | list[str] | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        credit_package: int | None = None,
    ) -> dict[str, Any]:
        """Create or change a team. Policies are checked before anything changes.
        `credits` sets the monthly credits, `credit_package` the package ones.
        `webhook_url` "" (or `webhook_secret` "") turns it off."""
        new_progression = checked(parse_progression, progression, "progression")
        new_outcomes = checked(parse_outcomes, outcomes, "outcomes")
        with self._unit(team_id):
            if keys is not None:
                self.accounts.check_keys(team_id, keys)  # a refused PUT creates nothing
            now = self._settle(team_id)
            team = self._team(team_id)
            team.pinned = True  # made or changed by hand: max_teams never evicts it
            self.evictor.forget(team_id)
            self._changes.team(team_id)
            self._changes.ledger(team_id)
            if keys is not None:
                self.accounts.set_keys(team_id, keys)
            if pending_cap is not None:
                team.pending_cap = pending_cap
            if credits is not None:
                self.ledger.set_available(team_id, credits, now)
            if credit_package is not None:
                self.ledger.set_package(team_id, credit_package, now)
            if new_progression is not None:
                team.progression = new_progression
            if new_outcomes is not None:
                team.outcomes = OutcomeSequence(new_outcomes)
            if webhook_url is not None:
                team.webhook_url = webhook_url or None
            if webhook_secret is not None:
                team.webhook_secret = webhook_secret or None
            return self.team(team_id)

    def balance(self, team_id: str) -> dict[str, Any]:
        """The team's credits as PixVerse's balance route shows them (a team seen for
        the first time opens with the default credits, all monthly)."""
        with self._unit(team_id):
            self._settle(team_id)
            self._team(team_id)
            account = self.ledger.account(team_id)
            digest = hashlib.sha256(team_id.encode()).digest()
            return {"account_id": int.from_bytes(digest[:4], "big"),
                    "credit_monthly": account.monthly, "credit_package": account.package}

    def ledger_entries(self, team_id: str) -> list[Entry]:
        with self._unit(team_id):
            self._settle(team_id)
            if team_id not in self.ledger:
                raise NotFound(f"no team {team_id!r}")
            return list(self.ledger.account(team_id).entries)

    # -- faults ------------------------------------------------------------------

    def add_fault(self, rule: FaultRule) -> FaultRule:
        with self._unit(None):
            self._faults_changed()
            return self.faults.add(rule)

    def _faults_changed(self) -> None:
        self._changes.fault_rules()
        self._changes.meta_value("fault_next_id")

    def list_faults(self, team: str | None = None) -> list[FaultRule]:
        with self._lock:
            return [rule.model_copy() for rule in self.faults.rules(team)]

    def remove_fault(self, fault_id: int) -> None:
        with self._unit(None):
            if not self.faults.remove(fault_id):
                raise NotFound(f"no fault rule {fault_id}")
            self._faults_changed()

    def clear_faults(self, team: str | None = None) -> None:
        with self._unit(None):
            self.faults.clear(team)
            self._faults_changed()

    def match_fault(self, route: str, method: str, team: str | None) -> FaultRule | None:
        """The fault to apply to this request, if a rule fires (read-only on teams).
        A rule that fires or draws is state: it is written down before the answer."""
        with self._unit(None):
            before = self.faults.version
            rule = self.faults.match(route, method, team)
            if self.faults.version != before:
                self._faults_changed()
            return rule

    def team_for_key(self, key: str | None) -> str | None:
        """Which team a key belongs to, without opening a team for it."""
        with self._lock:
            return self.accounts.team_id_for(key or "")

    def owner_of_file(self, token: str) -> str | None:
        """The team that uploaded a file or created a result video, for download faults."""
        with self._lock:
            stored = self.uploads.owner_of_token(token)
            if stored is not None:
                return stored
            task = self.tasks.get(self.world.video_tokens.get(token, -1))
            return task.team_id if task else None

    # -- journal ---------------------------------------------------------------

    def record_request(
        self, *, method: str, path: str, route: str | None = None, **fields: Any
    ) -> None:
        self.journal_entry(JournalEntry(0, 0.0, method, path, route or route_name(method, path),
                                        **fields))

    def journal_entry(self, entry: JournalEntry) -> None:
        """Journal a request (numbered and timed here) and cover its route and ErrCode."""
        with self._lock:
            entry.time = self.clock.now()
            self.journal.add(entry)
            self.coverage.note("routes", entry.route)
            self.coverage.note("err_codes", entry.err_code)
            if self._shared and self._depth == 0:  # in a unit: sent with its commit
                self.journal.flush()  # before the answer goes out: others may read it

    def list_tasks(
        self,
        team: str | None = None,
        status: int | None = None,
        route: str | None = None,
        limit: int = 100,
    ) -> list[Task]:
        """Tasks newest first (ids only grow), filtered, at most `limit`."""
        with self._unit(team):
            for team_id in [team] if team is not None else self.world.tasks.teams_waiting():
                self._settle(team_id)
            found = []
            for task in self.world.tasks.newest(team):
                if (status is None or int(task.status) == status) and (
                        route is None or task.route == route):
                    found.append(task)
                    if len(found) >= limit:
                        break
            return found

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """The journal, oldest first, filtered by team, route, status, err_code, trace_id
        and video_id."""
        with self._lock:
            return [e.as_dict() for e in self.journal.entries() if matches(e, filters)]

    def clear_requests(self, team: str | None = None) -> None:
        with self._lock:
            self.journal.clear(team)

    def coverage_report(self) -> dict[str, Any]:
        with self._lock:
            return self.coverage.report()

    def clear_coverage(self) -> None:
        with self._lock:
            self.coverage.clear()
