"""The handle a test gets from the pytest plugin's fixtures: `PixverseEmulator`.

It calls the `Emulator` directly (nothing goes over HTTP), scoped to the test's own
team. Like the plugin, it imports no web framework at import time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from pixverse_emulator.core import Emulator
    from pixverse_emulator.domain.tasks import Task

__all__ = ["APP_BASE_URL", "THIS_TEAM", "PixverseEmulator"]

# The origin the ASGI fixture's URLs use: a name no resolver knows, so a URL that
# leaks out of the in-process client fails loudly instead of reaching a real host.
APP_BASE_URL = "http://pixverse-emulator.test"
RUNNING = 5
FINAL_STATUSES = (1, 6, 7, 8)

CoverageReport = dict[str, dict[str, list[Any]]]


class _Team(enum.Enum):
    """Typed sentinel: `requests(team=THIS_TEAM)` filters by the handle's own team."""

    THIS = "this team"


THIS_TEAM = _Team.THIS


# -- the handle ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    """Where result URLs point (satisfies `views.Origin`)."""

    base_url: str


class PixverseEmulator:
    """One test's view of the emulator: its own team and key, and the control plane
    as Python calls scoped to that team.

    Attributes: `base_url` (the server, or `APP_BASE_URL` for the ASGI fixture),
    `api_key`, `team_id`, `headers` (the key's header: `Authorization: Bearer`, or
    `API-KEY` under the `pixverse` profile),
    `emulator` (the `Emulator`; shared by the session unless the test has the marker)
    and `app` (the ASGI app).

    Every method calls the Emulator directly, so nothing here goes over HTTP and
    nothing shows up in the request journal or the coverage report.
    """

    def __init__(
        self, emulator: Emulator, team_id: str, api_key: str, base_url: str, app: ASGIApp
    ) -> None:
        self.emulator = emulator
        self.team_id = team_id
        self.api_key = api_key
        self.base_url = base_url
        self.app = app
        # The header the profile's API takes: PixVerse's own has no Bearer.
        self.headers = ({"Authorization": f"Bearer {api_key}"} if emulator.profile.bearer_keys
                        else {"API-KEY": api_key})

    def __repr__(self) -> str:
        return f"PixverseEmulator(base_url={self.base_url!r}, team_id={self.team_id!r})"

    # -- time and tasks --------------------------------------------------------

    def now(self) -> float:
        """The emulator clock as this team sees it."""
        return self.emulator.now(self.team_id)

    def advance(self, seconds: float) -> float:
        """Move this team's clock alone (other tests' teams keep their time) and settle
        what falls due; returns the team's new time. Needs the manual clock."""
        return self.emulator.advance(seconds, team=self.team_id)

    def task(self, video_id: int) -> dict[str, Any]:
        """The control plane's view of a task: status, policy, reads, timeline."""
        from pixverse_emulator.http import views

        return views.task_detail(self.emulator.task(video_id))

    def settle(self, video_id: int, status: int = 1) -> dict[str, Any]:
        """Force a task to `status` (5 -> 1, 6, 7, 8; 1 -> 6), as the control plane does."""
        from pixverse_emulator.http import views

        return views.task_detail(self.emulator.set_status(video_id, status))

    def task_policy(
        self, video_id: int, progression: str | None = None, outcome: str | None = None
    ) -> dict[str, Any]:
        """Change a running task's progression (`seconds:N` counted from its creation,
        `polls:N` from this change) or outcome."""
        from pixverse_emulator.http import views

        return views.task_detail(self.emulator.set_policy(video_id, progression, outcome))

    def wait_for(self, video_id: int, status: int = 1, max_steps: int = 100) -> dict[str, Any]:
        """Drive a task to `status` without sleeping and return its `Resp` as its owner
        would read it (with `url` on status 1).

        Each step moves the owner's clock to the task's due time (`seconds:N`) or reads
        the result once (`polls:N`). Fails at once when the task ends at another status
        or can only be settled by hand (`manual`)."""
        for _ in range(max_steps):
            task = self.emulator.task(video_id)
            if task.status == status:
                return self._owner_view(task)
            self._check_can_reach(task, status)
            self._step(task)
        progression = self.emulator.task(video_id).progression
        raise AssertionError(
            f"video {video_id} is still at status 5 after {max_steps} steps "
            f"(progression {progression}); pass a larger max_steps"
        )

    def _owner_view(self, task: Task) -> dict[str, Any]:
        from pixverse_emulator.http import views

        public_url = self.emulator.settings.public_url
        return views.result(task, _Origin(public_url or self.base_url),
                            self.emulator.profile.credits_unit)

    def _check_can_reach(self, task: Task, status: int) -> None:
        if task.status != RUNNING:
            raise AssertionError(
                f"video {task.video_id} ended at status {int(task.status)}, not {status}"
            )
        if task.progression == "manual":
            raise AssertionError(
                f"video {task.video_id} has progression 'manual': it never moves by itself; "
                f"settle it: pixverse_emulator.settle({task.video_id}, {status})"
            )
        if self.emulator.clock.mode != "manual" and task.due_polls is None:
            raise RuntimeError(
                "wait_for moves a manual clock, but this emulator runs on the wall clock "
                "(clock='wall'); poll with your client, or leave clock at 'manual'"
            )

    def _step(self, task: Task) -> None:
        if task.due_polls is not None:
            self.emulator.result(task.team_id, task.video_id)
        elif task.due_at is not None:
            wait = max(0.0, task.due_at - self.emulator.now(task.team_id))
            self.emulator.advance(wait, team=task.team_id)

    # -- the team ----------------------------------------------------------------

    def team(
        self,
        *,
        credits: int | None = None,
        pending_cap: int | None = None,
        keys: list[str] | None = None,
        progression: str | None = None,
        outcomes: str | list[str] | None = None,
    ) -> dict[str, Any]:
        """This team as the control plane shows it; with arguments, change it first
        (`credits` sets the available balance, as a grant entry)."""
        if (credits, pending_cap, keys, progression, outcomes) == (None,) * 5:
            return self.emulator.team(self.team_id)
        return self.emulator.put_team(
            self.team_id,
            credits=credits,
            pending_cap=pending_cap,
            keys=keys,
            progression=progression,
            outcomes=outcomes,
        )

    def policy(
        self, progression: str | None = None, outcomes: str | list[str] | None = None
    ) -> dict[str, Any]:
        """This team's progression and outcome sequence, e.g. `policy("polls:2",
        ["failed", "success"])` to fail the first task and let a retry succeed."""
        return self.team(progression=progression, outcomes=outcomes)

    def ledger(self) -> list[dict[str, Any]]:
        """This team's credit ledger, oldest first (grant, hold, capture, release)."""
        from pixverse_emulator.http import views

        return [views.ledger_entry(e) for e in self.emulator.ledger_entries(self.team_id)]

    def requests(
        self,
        route: str | None = None,
        status: int | None = None,
        err_code: int | None = None,
        trace_id: str | None = None,
        team: str | None | Literal[_Team.THIS] = THIS_TEAM,
    ) -> list[dict[str, Any]]:
        """The request journal, oldest first: this team's entries unless `team` names
        another (or is None: everyone's). `route` is a route name or a path prefix."""
        return self.emulator.requests(
            route=route,
            status=status,
            err_code=err_code,
            trace_id=trace_id,
            team=self.team_id if team is THIS_TEAM else team,
        )

    # -- faults --------------------------------------------------------------------

    def fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule for this team's requests (the fields of `FaultRule`, e.g.
        `fault(route="result", error="not_found", count=1)`); returns the stored rule.
        Checked as `POST /_emulator/faults` checks it, so a typo fails here instead of
        giving a rule that never fires."""
        from pixverse_emulator.domain.faults import FaultRule
        from pixverse_emulator.http.admin_faults import check_rule

        checked = FaultRule(team=self.team_id, **rule)
        check_rule(checked)
        return self.emulator.add_fault(checked).model_dump()

    def faults(self) -> list[dict[str, Any]]:
        """This team's active fault rules, with how often each has fired."""
        return [rule.model_dump() for rule in self.emulator.list_faults(self.team_id)]

    def clear_faults(self) -> None:
        self.emulator.clear_faults(self.team_id)

    # -- the run ---------------------------------------------------------------------

    def reset(self) -> None:
        """Drop this team's tasks, uploads, journal, faults and clock offset; the team
        and its key stay usable (also under `auth="strict"`)."""
        self.emulator.reset(self.team_id)
        self.emulator.put_team(self.team_id, keys=[self.api_key])

    def coverage(self) -> CoverageReport:
        """What this emulator has seen exercised so far, as `GET /_emulator/coverage`."""
        return self.emulator.coverage_report()
