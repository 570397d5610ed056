"""A Hypothesis state machine over the Emulator on a data folder: whatever the
interleaving of creates, uploads, time, forced settlements, credit and cap changes,
resets, restarts and snapshot restores, the ledger and the pending cap hold, and a
restart or a restore gives back exactly the state it should."""

from __future__ import annotations

from pathlib import Path
from tempfile import mkdtemp

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from statedump import dump
from support import png_bytes

from pixverse_emulator import Emulator, ManualClock, Settings, Status
from pixverse_emulator.domain.schemas import TextCreate
from pixverse_emulator.errors import EmulatorError
from pixverse_emulator.media.probe import ImageInfo

TEAMS = ("a", "b")
DIRECTIVES = ("", "[emulator:moderated]", "[emulator:failed]", "[emulator:stuck]",
              "[emulator:seconds=0]", "[emulator:seconds=2.5]", "[emulator:polls=2]",
              "[emulator:instant]")
PROGRESSIONS = ("instant", "seconds:0", "seconds:1.5", "polls:1", "polls:3", "manual")
OUTCOMES = (["success"], ["failed"], ["moderated", "success"], ["failed", "failed", "success"])


class EmulatorMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.root = Path(mkdtemp(prefix="emulator-sm-"))
        self.config = Settings(clock="manual", default_credits=40, default_pending_cap=3,
                               data_dir=str(self.root), run_seconds=3)
        self.emu = Emulator(self.config, clock=ManualClock(1_000.0))
        self.ids: list[int] = []
        self.saved: dict[str, object] | None = None

    def teardown(self) -> None:
        if hasattr(self, "emu"):
            self.emu.close()

    @rule(
        team=st.sampled_from(TEAMS),
        model=st.sampled_from(["pixverse-c1", "pixverse-v6"]),
        quality=st.sampled_from(["360p", "540p", "720p", "1080p"]),
        duration=st.integers(1, 15),
        audio=st.booleans(),
        directive=st.sampled_from(DIRECTIVES),
    )
    def submit(self, team: str, model: str, quality: str, duration: int, audio: bool,
               directive: str) -> None:
        request = TextCreate.model_validate(
            {"model": model, "prompt": f"a cat {directive}", "duration": duration,
             "quality": quality, "aspect_ratio": "16:9", "generate_audio_switch": audio})
        try:
            self.ids.append(self.emu.submit(team, "text", request).task.video_id)
        except EmulatorError as error:
            assert error.err_code in (402001, 429001)

    @rule(seconds=st.floats(0, 10, allow_nan=False))
    def tick(self, seconds: float) -> None:
        self.emu.advance(seconds)

    @rule(team=st.sampled_from(TEAMS), seconds=st.floats(0, 10, allow_nan=False))
    def tick_team(self, team: str, seconds: float) -> None:
        self.emu.advance(seconds, team=team)

    @rule(data=st.data(), team=st.sampled_from(TEAMS))
    def read(self, data: st.DataObject, team: str) -> None:
        """A result read: counts toward polls:N, and only the owner's reads count."""
        if not self.ids:
            return
        try:
            self.emu.result(team, data.draw(st.sampled_from(self.ids)))
        except EmulatorError as error:
            assert error.http_status in (403, 404)

    @rule(team=st.sampled_from(TEAMS), progression=st.sampled_from(PROGRESSIONS),
          outcomes=st.sampled_from(OUTCOMES))
    def team_policy(self, team: str, progression: str, outcomes: list[str]) -> None:
        self.emu.put_team(team, progression=progression, outcomes=outcomes)

    @rule(data=st.data(), progression=st.sampled_from(PROGRESSIONS))
    def task_policy(self, data: st.DataObject, progression: str) -> None:
        if not self.ids:
            return
        try:
            self.emu.set_policy(data.draw(st.sampled_from(self.ids)), progression=progression)
        except EmulatorError as error:
            assert error.http_status in (404, 409)

    @rule(team=st.sampled_from(TEAMS))
    def reset_team(self, team: str) -> None:
        self.emu.reset(team)

    @rule(data=st.data(), status=st.sampled_from([1, 6, 7, 8]))
    def settle(self, data: st.DataObject, status: int) -> None:
        if not self.ids:
            return
        video_id = data.draw(st.sampled_from(self.ids))
        try:
            self.emu.set_status(video_id, status)
        except EmulatorError as error:
            assert error.http_status in (404, 409)

    @rule(team=st.sampled_from(TEAMS), credits=st.integers(0, 100))
    def grant(self, team: str, credits: int) -> None:
        self.emu.put_team(team, credits=credits)

    @rule(team=st.sampled_from(TEAMS), cap=st.integers(0, 4))
    def set_cap(self, team: str, cap: int) -> None:
        # A cap lowered below what is already running would break the invariant by hand.
        pending = self.emu.tasks.pending(team) if self.emu.accounts.get(team) else 0
        self.emu.put_team(team, pending_cap=max(cap, pending))

    @rule()
    def reset(self) -> None:
        self.emu.reset()
        self.ids.clear()

    @rule(team=st.sampled_from(TEAMS), side=st.integers(2, 9))
    def upload(self, team: str, side: int) -> None:
        incoming = self.emu.receive_file()
        incoming.write(png_bytes(side, side))
        self.emu.add_image(team, incoming, None, ImageInfo("png", side, side))

    @rule()
    def restart(self) -> None:
        """Close and open again on the same folder: nothing changes."""
        before = dump(self.emu)
        self.emu.close()
        self.emu = Emulator(self.config, clock=ManualClock(0.0))  # the folder's time wins
        assert dump(self.emu) == before

    @rule()
    def snapshot(self) -> None:
        self.emu.save_snapshot("machine", overwrite=True)
        self.saved = dump(self.emu)

    @rule()
    def restore(self) -> None:
        if self.saved is None:
            return
        self.emu.restore_snapshot("machine")
        now = dump(self.emu)
        saved = dict(self.saved)
        assert now.pop("ids_high") >= saved.pop("ids_high")  # type: ignore[operator]
        assert now == saved

    @invariant()
    def ledger_balances(self) -> None:
        for team in TEAMS:
            if self.emu.accounts.get(team) is None:
                continue
            account = self.emu.ledger.account(team)
            tasks = self.emu.tasks.of_team(team)
            assert account.available >= 0 and account.held >= 0 and account.spent >= 0
            assert account.available + account.held + account.spent == account.granted
            assert account.held == sum(t.price for t in tasks if t.status is Status.RUNNING)
            captured = (t for t in tasks if Status.SUCCEEDED in (s for _, s, _ in t.timeline))
            assert account.spent == sum(t.price for t in captured)
            assert account.entries[-1].balance == account.available

    @invariant()
    def pending_within_cap(self) -> None:
        for team in TEAMS:
            info = self.emu.accounts.get(team)
            if info is not None:
                assert self.emu.tasks.pending(team) <= info.pending_cap

    @invariant()
    def nothing_running_is_overdue(self) -> None:
        for video_id in self.ids:
            task = self.emu.tasks.get(video_id)
            if task is not None and task.status is Status.RUNNING:
                if task.due_at is not None:
                    assert task.due_at > self.emu.now(task.team_id)
                if task.due_polls is not None:
                    assert task.reads < task.due_polls

    @invariant()
    def other_teams_survive_a_team_reset(self) -> None:
        """Every remaining task belongs to an open team with a ledger account."""
        for video_id in self.ids:
            task = self.emu.tasks.get(video_id)
            if task is not None:
                assert self.emu.accounts.get(task.team_id) is not None
                assert task.team_id in self.emu.ledger


EmulatorMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEmulatorMachine = EmulatorMachine.TestCase
