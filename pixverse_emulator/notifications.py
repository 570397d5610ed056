"""Webhook deliveries as a use case: what is due, sending it outside the lock, and what
the receivers answered (journaled, kept as state, listed on the control plane).

`deliver_due` is the one entry point. The scheduler calls it on a wall clock when
something falls due; on a manual clock `advance` calls it after moving time, so a test
drives retries by advancing past their delays.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from .clock import ManualClock
from .control import Control
from .domain.tasks import Status
from .domain.webhooks import Attempt, Delivery, accepted, payload
from .errors import StoreUnavailable
from .http.views import file_url, video_name
from .http.webhook_sender import Sender, send
from .scheduler import Scheduler
from .state import with_size

WEBHOOK_ROUTE = "webhook"  # the journal's and the fault rules' name for deliveries
# How long a delivery a process of a shared store took stays its own to send: well past
# a send's timeout and a fault's latency, so no other process sends it meanwhile.
CLAIM_SECONDS = 120.0


@dataclass(frozen=True)
class Outgoing:
    delivery: Delivery
    body: str
    secret: str | None
    trace_id: str
    fault: Any  # the fault rule that fires on it, if any


class Notifications(Control):
    sender: Sender = staticmethod(send)
    _scheduler: Scheduler | None = None

    def _open(self) -> None:
        super()._open()
        if not isinstance(self.clock, ManualClock):  # a manual clock moves by advance()
            self._scheduler = Scheduler(self.next_due, self.clock.now, self.deliver_due)
            self._scheduler.start()

    def wake(self, at: float | None = None) -> None:
        if self._scheduler is not None:
            self._scheduler.wake(at)

    def close(self, deadline: float | None = None) -> None:
        if self._scheduler is not None:  # within the shutdown budget, as the rest is
            budget = 5.0 if deadline is None else max(0.0, deadline - time.monotonic())
            self._scheduler.stop(budget)
        super().close(deadline)

    def deliveries(self, team: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [d.view() for d in sorted(self.world.deliveries.of_team(team),
                                             key=lambda d: d.delivery_id)]

    def advance(self, seconds: float, team: str | None = None) -> float:
        now = super().advance(seconds, team)
        self.deliver_due()
        return now

    def deliver_due(self) -> int:
        """Settle what has fallen due for teams with a webhook, then send every delivery
        due by now; returns how many were sent.

        With a shared store, the deliveries a process takes are claimed in the store
        before they are sent (due again only `CLAIM_SECONDS` later, when their attempt
        is not recorded by then): processes that look at the same time each send
        others, and a delivery is sent once."""
        with self._unit(None):
            for team_id in self._hooked() & set(self.world.tasks.teams_waiting()):
                self._settle(team_id)
            now = self.clock.now()
            taken = self.world.deliveries.take_due(now)
            if self._shared:
                for delivery in taken:
                    delivery.next_at = now + CLAIM_SECONDS
                    self._changes.delivery(delivery)
            outgoing = [self._outgoing(d) for d in taken]
        for item in outgoing:
            self._record_attempt(item, self._attempt(item))
        return len(outgoing)

    def _hooked(self) -> set[str]:
        """Teams with a webhook: only their tasks are news worth settling unasked (any
        other task settles, at its due time, when something reads it)."""
        return {team.id for team in self.world.accounts.all() if team.webhook_url}

    def next_due(self) -> float | None:
        """When something is next due, by the emulator's clock (None: nothing is).
        With a shared store, as other processes left it (their tasks and claims)."""
        if self._shared:
            try:
                self.catch_up()
            except StoreUnavailable:
                pass  # Redis is away: the scheduler looks again; a round then waits
        with self._lock:
            times = [t for t in (self.world.deliveries.next_due(), self._next_task_due())
                     if t is not None]
            return min(times, default=None)

    def _next_task_due(self) -> float | None:
        offsets, hooked = self.world.offsets, self._hooked()
        times = [due - offsets.get(team, 0.0) for team, due in self.world.tasks.next_due()
                 if team in hooked]
        return min(times, default=None)

    def _outgoing(self, delivery: Delivery) -> Outgoing:
        task = self.world.tasks.get(delivery.video_id)
        team = self.world.accounts.get(delivery.team_id)
        url, size, audio, credits = "", None, False, 0
        if task is not None:
            credits, audio = task.price, task.video.has_audio
            if task.status is Status.SUCCEEDED and delivery.status == int(Status.SUCCEEDED):
                size = with_size(task).size
                url = file_url(self.base_url, task.token, video_name(task))
        body = payload(delivery.video_id, delivery.status, url, size, audio, credits)
        fault = self.match_fault(WEBHOOK_ROUTE, "POST", delivery.team_id)
        return Outgoing(delivery, body, None if team is None else team.webhook_secret,
                        delivery.trace_id or str(uuid.uuid4()), fault)

    def _attempt(self, item: Outgoing) -> Attempt:
        fault = item.fault
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and (fault.drop or fault.error):
            kind = "drop" if fault.drop else f"error {fault.error}"
            return Attempt(self.clock.now(), None, f"fault:{fault.id} ({kind}): not sent", False)
        status, answer = self.sender(item.delivery.url, item.body, item.secret,
                                     int(self.clock.now()), item.trace_id)
        return Attempt(self.clock.now(), status, answer, accepted(status, answer))

    def _record_attempt(self, item: Outgoing, attempt: Attempt) -> None:
        delivery = item.delivery
        with self._unit(None):
            if delivery.delivery_id not in self.world.deliveries.by_id:
                return  # its team was reset meanwhile
            delivery.record(attempt)
            self.world.deliveries.reschedule(delivery)
            self._changes.delivery(delivery)
            reason = None if attempt.ok else (
                f"fault:{item.fault.id}" if item.fault is not None else "webhook_rejected")
            self.record_request(method="POST", path=delivery.url, route=WEBHOOK_ROUTE,
                                status=attempt.http_status or 0, err_code=None,
                                team=delivery.team_id, trace_id=item.trace_id, reason=reason,
                                video_id=delivery.video_id,
                                message=None if attempt.ok else attempt.answer)
        if delivery.next_at is not None:
            self.wake()
