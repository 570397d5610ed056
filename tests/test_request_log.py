"""The request log as the CLI writes it: a line per request by default, none with
--quiet, JSON lines with --log-format json; never a key."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from processes import started

BODY = {"model": "pixverse-c1", "prompt": "a cube", "duration": 1, "quality": "360p",
        "aspect_ratio": "16:9"}
TEXT = "/openapi/v2/video/text/generate"
LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<method>[A-Z]+) (?P<path>\S+) "
    r"(?P<status>\d{3}) (?P<err_code>\d+|-) (?P<team>\S+) (?P<ms>\d+\.\d)ms(?: (?P<reason>\S+))?$")


def traffic(base: str) -> int:
    """A create, a poll of an unknown task and a control-plane read; the created id."""
    created = httpx.post(f"{base}{TEXT}", json=BODY, headers={"Authorization": "Bearer log-key"})
    httpx.get(f"{base}/openapi/v2/video/result/42", headers={"API-KEY": "log-key"})
    httpx.get(f"{base}/_emulator/clock")
    return int(created.json()["Resp"]["video_id"])


def request_lines(lines: list[str], pattern: str = "/") -> list[str]:
    return [line.rstrip("\n") for line in lines if pattern in line and "running on" not in line
            and not line.startswith("  ")]


def test_a_text_line_per_request_by_default() -> None:
    with started() as (_, base, lines):
        traffic(base)
    found = [LINE.match(line) for line in request_lines(lines)]
    assert all(found), request_lines(lines)
    rows = [(m["method"], m["path"], m["status"], m["err_code"], m["team"], m["reason"])
            for m in found if m]
    assert rows == [
        ("POST", TEXT, "200", "0", "log-key", None),
        ("GET", "/openapi/v2/video/result/42", "404", "404001", "log-key", "unknown_video"),
        ("GET", "/_emulator/clock", "200", "0", "-", None),
    ]


def test_quiet_writes_no_request_line() -> None:
    with started("--quiet") as (_, base, lines):
        traffic(base)
    assert request_lines(lines) == []


def test_json_lines_carry_the_same_and_the_ids() -> None:
    with started("--log-format", "json") as (_, base, lines):
        video_id = traffic(base)
    rows = [json.loads(line) for line in request_lines(lines, '"path"')]
    assert [(r["path"], r["status"], r["err_code"], r["team"]) for r in rows] == [
        (TEXT, 200, 0, "log-key"), ("/openapi/v2/video/result/42", 404, 404001, "log-key"),
        ("/_emulator/clock", 200, 0, None)]
    assert rows[0]["video_id"] == video_id and rows[1]["reason"] == "unknown_video"
    assert rows[0]["reason"] is None and isinstance(rows[0]["duration_ms"], float)
    assert rows[0]["time"].endswith("Z") and rows[0]["trace_id"]


def test_the_banner_names_teams_not_keys(tmp_path: object) -> None:
    env = {"PIXVERSE_EMULATOR_TEAMS": '[{"id": "acme", "keys": ["acme-secret-key"]}]',
           "PIXVERSE_EMULATOR_AUTH": "strict"}
    with started(env=env) as (_, base, lines):
        httpx.post(f"{base}{TEXT}", json=BODY, headers={"Authorization": "Bearer acme-secret-key"})
    text = "".join(lines)
    assert "teams    acme" in text and "auth     strict" in text
    assert "acme-secret-key" not in text
    assert re.search(r"pixverse-emulator \S+ running on http://127\.0\.0\.1:\d+", text)


def readme_text_blocks() -> list[str]:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    return re.findall(r"```text\n(.*?)```", readme, flags=re.S)


def test_the_readme_shows_lines_and_a_banner_as_the_server_writes_them() -> None:
    sample_lines, sample_banner = readme_text_blocks()[:2]
    assert all(LINE.match(line) for line in sample_lines.splitlines())
    with started() as (_, base, lines):
        traffic(base)
    labels = [line.split()[0] for line in lines if line.startswith("  ")]
    assert labels == [line.split()[0] for line in sample_banner.splitlines()
                      if line.startswith("  ")]
    assert any("running on" in line for line in sample_banner.splitlines())
