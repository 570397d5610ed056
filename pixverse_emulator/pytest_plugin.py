"""pytest plugin: a PixVerse emulator for a client's own test suite.

Registered through the `pytest11` entry point, so pytest imports this module in every
run of every project that installs the package. That is why it imports only the
standard library, pytest and `pixverse_emulator.version` here: FastAPI, uvicorn and the
Emulator load inside the fixtures, the first time a test asks for one.

Fixtures:

- `pixverse_emulator`: a `PixverseEmulator` handle on a live server (one per session,
  or per xdist worker, on an ephemeral port), with a fresh team and key per test.
- `pixverse_emulator_app`: the same handle around an ASGI app, for
  `httpx.AsyncClient(transport=httpx.ASGITransport(app=handle.app))`: no socket at all.
- `pixverse_emulator_settings` (session): override it to change the default settings.

The marker `@pytest.mark.pixverse_emulator(**settings)` gives one test its own
emulator built with those settings; `--pixverse-coverage` prints which routes,
ErrCodes, task statuses and prompt directives the run exercised.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest

from pixverse_emulator.testing import APP_BASE_URL, CoverageReport, PixverseEmulator
from pixverse_emulator.version import __version__

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from pixverse_emulator.http.server import LiveServer
    from pixverse_emulator.settings import Settings

__all__ = ["APP_BASE_URL", "PixverseEmulator"]

MARKER = "pixverse_emulator"
COVERAGE_OPTION = "--pixverse-coverage"
WORKER_OUTPUT_KEY = "pixverse_emulator_coverage"





# -- emulators and their lifetime ------------------------------------------------------


class _CoverageTally:
    """The coverage of every emulator the run closed, merged (and, under xdist, of every
    worker). Lives in `config.stash`, only when `--pixverse-coverage` is given."""

    def __init__(self) -> None:
        self.report: CoverageReport | None = None

    def add(self, report: CoverageReport) -> None:
        self.report = report if self.report is None else merge_coverage(self.report, report)


TALLY_KEY = pytest.StashKey[_CoverageTally]()


def merge_coverage(first: CoverageReport, second: CoverageReport) -> CoverageReport:
    """Exercised anywhere counts as exercised; missing means missing everywhere."""
    merged: CoverageReport = {}
    for kind in [*first, *(k for k in second if k not in first)]:
        a = first.get(kind, {"exercised": [], "missing": []})
        b = second.get(kind, {"exercised": [], "missing": []})
        exercised = sorted({*a["exercised"], *b["exercised"]}, key=str)
        candidates = [*a["missing"], *(v for v in b["missing"] if v not in a["missing"])]
        merged[kind] = {
            "exercised": exercised,
            "missing": [v for v in candidates if v not in exercised],
        }
    return merged


class _Instance:
    """One Emulator, with its ASGI app and its live server each made on first use."""

    def __init__(self, settings: Settings, tally: _CoverageTally | None) -> None:
        from pixverse_emulator.core import Emulator

        self.emulator = Emulator(settings)
        self._tally = tally
        self._app: ASGIApp | None = None
        self._server: LiveServer | None = None

    def app(self) -> ASGIApp:
        """An app for in-process clients, separate from the one the server runs."""
        if self._app is None:
            from pixverse_emulator.http.app import create_app

            self._app = create_app(self.emulator)
        return self._app

    def server(self) -> LiveServer:
        """The live server: its socket is bound before it starts, so it is ready now."""
        if self._server is None:
            from pixverse_emulator.http.app import create_app
            from pixverse_emulator.http.server import LiveServer

            self._server = LiveServer(create_app(self.emulator)).start()
        return self._server

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
        if self._tally is not None:
            self._tally.add(self.emulator.coverage_report())
        self.emulator.close()


# In memory unless a layer sets `data_dir`; a pinned seed makes a run's ids repeatable;
# no request log lines in a test run's output (`quiet=False` to see them).
PLUGIN_DEFAULTS: dict[str, Any] = {"clock": "manual", "seed": 0, "quiet": True}


def _build_settings(*layers: dict[str, Any]) -> Settings:
    """The plugin's defaults, then each layer on top."""
    from pydantic import ValidationError

    from pixverse_emulator.settings import Settings

    values: dict[str, Any] = dict(PLUGIN_DEFAULTS)
    for layer in layers:
        values.update(layer)
    try:
        return Settings(**values)
    except ValidationError as exc:
        pytest.fail(f"pixverse-emulator: bad settings {layers}: {exc}", pytrace=False)


class _Emulators:
    """The session's shared emulator (made when a test first needs it) and the
    dedicated ones that marked tests get."""

    def __init__(self, settings: dict[str, Any], tally: _CoverageTally | None) -> None:
        self._settings = settings
        self._tally = tally
        self._shared: _Instance | None = None

    def shared(self) -> _Instance:
        if self._shared is None:
            self._shared = _Instance(_build_settings(self._settings), self._tally)
        return self._shared

    def dedicated(self, overrides: dict[str, Any]) -> _Instance:
        settings = _build_settings(self._settings, overrides)
        return _Instance(settings, self._tally)

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
            self._shared = None


@dataclass(frozen=True)
class _TestTeam:
    """Which emulator a test uses, and the team (and key) made for it."""

    instance: _Instance
    team_id: str
    api_key: str  # not the team's id: an id is no key to a team with keys

    def handle(self, base_url: str, app: ASGIApp) -> PixverseEmulator:
        return PixverseEmulator(self.instance.emulator, self.team_id, self.api_key, base_url, app)


def _marker_settings(node: pytest.Item) -> dict[str, Any] | None:
    """The marker's settings, outermost marker first so the closest one wins; None
    when the test has no marker."""
    markers = list(node.iter_markers(MARKER))
    if not markers:
        return None
    settings: dict[str, Any] = {}
    for marker in reversed(markers):
        if marker.args:
            pytest.fail(
                f"@pytest.mark.{MARKER} takes settings as keyword arguments only, "
                f"got {marker.args!r}",
                pytrace=False,
            )
        settings.update(marker.kwargs)
    return settings


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pixverse_emulator_settings() -> dict[str, Any]:
    """Settings for the session's emulator, on top of `clock="manual"`. Override this
    fixture (session scope) in a conftest.py to change them for the whole run."""
    return {}


@pytest.fixture(scope="session")
def _pixverse_emulators(
    pixverse_emulator_settings: dict[str, Any],
    pytestconfig: pytest.Config,
) -> Iterator[_Emulators]:
    emulators = _Emulators(
        dict(pixverse_emulator_settings), pytestconfig.stash.get(TALLY_KEY, None)
    )
    yield emulators
    emulators.close()


@pytest.fixture
def _pixverse_emulator_team(
    request: pytest.FixtureRequest, _pixverse_emulators: _Emulators
) -> Iterator[_TestTeam]:
    """A fresh team on the shared emulator (reset afterwards: the server is shared, so
    only this team's share goes; with a `snapshot` setting the whole emulator goes back
    to the snapshot, so every test starts from it), or on a dedicated one when the test
    has the marker."""
    assert isinstance(request.node, pytest.Item)
    overrides = _marker_settings(request.node)
    instance = (
        _pixverse_emulators.shared()
        if overrides is None
        else _pixverse_emulators.dedicated(overrides)
    )
    team_id, api_key = f"test-{uuid4().hex[:12]}", f"key-{uuid4().hex}"
    instance.emulator.put_team(team_id, keys=[api_key])  # also valid under auth="strict"
    yield _TestTeam(instance, team_id, api_key)
    if overrides is None:
        started_from_snapshot = instance.emulator.settings.snapshot is not None
        instance.emulator.reset(None if started_from_snapshot else team_id)
    else:
        instance.close()


@pytest.fixture
def pixverse_emulator(_pixverse_emulator_team: _TestTeam) -> PixverseEmulator:
    """The emulator on a live server: point any HTTP client (or another process) at
    `base_url` with `api_key`."""
    server = _pixverse_emulator_team.instance.server()
    return _pixverse_emulator_team.handle(server.base_url, server.app)


@pytest.fixture
def pixverse_emulator_app(_pixverse_emulator_team: _TestTeam) -> PixverseEmulator:
    """The emulator as an ASGI app, for in-process clients: no socket, no thread."""
    return _pixverse_emulator_team.handle(APP_BASE_URL, _pixverse_emulator_team.instance.app())


# -- hooks ---------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pixverse-emulator")
    group.addoption(
        COVERAGE_OPTION,
        action="store_true",
        default=False,
        help="print which routes, ErrCodes, task statuses and prompt directives the "
        "tests exercised on the PixVerse emulator, and which they did not",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**settings): run this test against its own PixVerse emulator with "
        "these settings (e.g. progression='instant', auth='strict')",
    )
    if config.getoption(COVERAGE_OPTION, default=False):
        config.stash[TALLY_KEY] = _CoverageTally()


def pytest_report_header(config: pytest.Config) -> str:
    coverage = (
        "coverage report at the end"
        if TALLY_KEY in config.stash
        else f"{COVERAGE_OPTION} for a coverage report"
    )
    return f"pixverse-emulator {__version__}: clock manual (per-test teams; {coverage})"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker, hand the coverage to the controller. Runs last, after the
    session fixtures (and so the emulators) are torn down."""
    config = session.config
    tally = config.stash.get(TALLY_KEY, None)
    output: dict[str, Any] | None = getattr(config, "workeroutput", None)
    if tally is not None and tally.report is not None and output is not None:
        output[WORKER_OUTPUT_KEY] = tally.report


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: merge what a finished worker's emulators saw."""
    tally = node.config.stash.get(TALLY_KEY, None)
    report = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if tally is not None and report is not None:
        tally.add(report)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    tally = config.stash.get(TALLY_KEY, None)
    if tally is None or tally.report is None:
        return  # no option, or no test started an emulator
    terminalreporter.write_sep("-", "pixverse-emulator coverage")
    for line in coverage_lines(tally.report):
        terminalreporter.write_line(line)


def coverage_lines(report: CoverageReport) -> list[str]:
    """Two lines per kind: what was exercised, and what was not."""
    width = max((len(kind) for kind in report), default=0)
    lines = []
    for kind, seen in report.items():
        exercised, missing = seen["exercised"], seen["missing"]
        lines.append(f"{kind:<{width}}  exercised ({len(exercised)}): {_join(exercised)}")
        lines.append(f"{'':<{width}}  missing ({len(missing)}): {_join(missing)}")
    return lines


def _join(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values) or "-"
