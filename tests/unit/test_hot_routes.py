"""The shortcuts of `http/hot_routes.py` give what the slow way gives."""

from __future__ import annotations

import pytest

from pixverse_emulator.domain.tasks import Status
from pixverse_emulator.errors import InvalidField
from pixverse_emulator.http.hot_routes import PLACEHOLDER, VIDEO_ID, path_video_id

IDS = ["007", "123", "0", "\u0661\u0662", "+5", "-4", "12ab", "9" * 18, "9" * 19, "9" * 40,
       " 5", "5 ", "", "1_000", "1e3", "0x10", "\uff11"]


@pytest.mark.parametrize("text", IDS)
def test_a_path_id_converts_as_pydantic_converts_it(text: str) -> None:
    try:
        expected: int | None = VIDEO_ID.validate_python(text)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(InvalidField):
            path_video_id(text)
    else:
        assert path_video_id(text) == expected


class _Task:
    def __init__(self, video_id: int, price: int, status: Status) -> None:
        self.video_id, self.price, self.status = video_id, price, status


@pytest.mark.parametrize("unit", ["worldrouter", None])
@pytest.mark.parametrize("video_id", [0, 7, 407432230962212, 2**63 + 5])
def test_templated_answers_are_the_encoder_s_own(unit: str | None, video_id: int) -> None:
    from typing import cast

    from pixverse_emulator.domain.tasks import Task
    from pixverse_emulator.http import views
    from pixverse_emulator.http.hot_routes import encode_ok, template

    task = cast(Task, _Task(video_id, 1234, Status.RUNNING))
    created = template(views.created(PLACEHOLDER, unit), 2)
    assert b"%s%d%s%d%s" % (created[0], video_id, created[1], 1234, created[2]) == encode_ok(
        views.created(task, unit))
    running = template(views.result(PLACEHOLDER, _Base(), unit), 1, "Success")
    assert b"%s%d%s" % (running[0], video_id, running[1]) == encode_ok(
        views.result(task, _Base(), unit), "Success")


class _Base:
    base_url = "http://unused"


def test_kept_answers_stay_bounded_and_threads_may_share_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import threading

    from pixverse_emulator import Emulator, ManualClock, Settings
    from pixverse_emulator.http import hot_routes
    from pixverse_emulator.http.hot_routes import HotRoutes, RawRequest

    monkeypatch.setattr(hot_routes, "FINALS_KEPT", 3)
    emulator = Emulator(Settings(clock="manual", quiet=True), clock=ManualClock(0))
    routes = HotRoutes(emulator)
    headers = [(b"authorization", b"Bearer kept"), (b"host", b"h")]
    body = json.dumps({"model": "pixverse-c1", "prompt": "p", "duration": 1,
                       "quality": "360p", "aspect_ratio": "16:9"}).encode()
    state = {"trace_id": "t", "trace_given": False, "profile": emulator.profile}
    created = [routes.answer("text", RawRequest("POST", "/x", headers, body, "http", None),
                             dict(state)) for _ in range(8)]
    ids = [json.loads(a.body)["Resp"]["video_id"] for a in created]
    emulator.advance(3600)
    failures: list[BaseException] = []

    def poll_all() -> None:
        try:
            for _ in range(50):
                for video_id in ids:
                    answer = routes.answer("result", RawRequest(
                        "GET", f"/openapi/v2/video/result/{video_id}", headers, b"", "http",
                        None), dict(state))
                    assert json.loads(answer.body)["Resp"]["id"] == video_id
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=poll_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    emulator.close()
    assert failures == [] and len(routes._finals) <= 3
