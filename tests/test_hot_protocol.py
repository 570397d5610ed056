"""The hot lane (`http/hot_protocol.py`): creates and polls answered straight from the
HTTP parser answer byte for byte as the ASGI app answers them, and everything the lane
does not own still reaches the app. Real servers on real sockets (LiveServer runs the
CLI's uvicorn setup); the lane's `answer` is counted to know which way a request went.
Every wait is a socket read bounded by a timeout."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from support import text_body

from pixverse_emulator import Emulator, ManualClock, Settings, create_app
from pixverse_emulator.domain.faults import FaultRule
from pixverse_emulator.http.hot_lane import HotLane
from pixverse_emulator.http.server import LiveServer
from pixverse_emulator.http.serving import http_protocol

TEXT = "/openapi/v2/video/text/generate"
RESULT = "/openapi/v2/video/result/"
LIMIT = 30


class Counted:
    """A server whose hot lane counts what it answered."""

    def __init__(self, server: LiveServer, emulator: Emulator, lane: HotLane) -> None:
        self.server, self.emulator, self.served = server, emulator, 0
        answer = lane.answer

        def counting(*args: Any) -> Any:
            self.served += 1
            return answer(*args)

        lane.answer = counting  # type: ignore[method-assign]

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.server.port), timeout=LIMIT)


@contextmanager
def live(**settings: Any) -> Iterator[Counted]:
    values: dict[str, Any] = {"clock": "manual", "seed": 7, "default_pending_cap": 3,
                              "quiet": True, **settings}
    emulator = Emulator(Settings(**values), clock=ManualClock(1_800_000_000))
    app = create_app(emulator)
    with LiveServer(app) as server:
        yield Counted(server, emulator, app.state.hot_lane)
    emulator.close()


def request(method: str, path: str, body: Any = None, key: str | None = "team-a",
            extra: str = "", version: str = "1.1") -> bytes:
    raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    head = f"{method} {path} HTTP/{version}\r\nHost: emulator.test\r\n"
    if key is not None:
        head += f"Authorization: Bearer {key}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(raw)}\r\n"
    return (head + extra + "\r\n").encode() + raw


def read(sock: socket.socket, buffered: bytearray) -> tuple[int, dict[str, str], bytes]:
    """One response off the connection (more may follow in `buffered`)."""
    while b"\r\n\r\n" not in buffered:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a response: {bytes(buffered)!r}"
        buffered += chunk
    head, _, rest = bytes(buffered).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed in the middle of a body"
        rest += chunk
    buffered[:] = rest[length:]
    return int(lines[0].split()[1]), headers, rest[:length]


def exchange(server: Counted, *raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Send the requests in one write (pipelined), read as many answers."""
    with server.connect() as sock:
        sock.sendall(b"".join(raw))
        buffered = bytearray()
        return [read(sock, buffered) for _ in raw]


# (name, request) in order; later requests see what earlier ones did to the state.
SCRIPT: list[tuple[str, Callable[[int], bytes]]] = [
    ("create", lambda v: request("POST", TEXT, text_body(), extra="Ai-trace-id: t-1\r\n")),
    ("replay", lambda v: request("POST", TEXT, text_body(), extra="Ai-trace-id: t-1\r\n")),
    ("no key", lambda v: request("POST", TEXT, text_body(), key=None)),
    ("wrong key type", lambda v: request("POST", TEXT, text_body(), key="")),
    ("broken json", lambda v: request("POST", TEXT, b"{")),
    ("empty body", lambda v: request("POST", TEXT, b"")),
    ("bad field", lambda v: request("POST", TEXT, text_body(duration="5"))),
    ("bad model", lambda v: request("POST", TEXT, text_body(model="v6"))),
    ("unicode prompt", lambda v: request("POST", TEXT,
                                         text_body(prompt="un cube bleu \u00e9\u2028"))),
    ("img without image", lambda v: request("POST", "/openapi/v2/video/img/generate",
                                            text_body())),
    ("poll running", lambda v: request("GET", f"{RESULT}{v}")),
    ("poll other team", lambda v: request("GET", f"{RESULT}{v}", key="team-b")),
    ("poll unknown", lambda v: request("GET", f"{RESULT}{v + 1000}")),
    ("poll not a number", lambda v: request("GET", f"{RESULT}12ab")),
    ("poll plus sign", lambda v: request("GET", f"{RESULT}+{v}")),
    ("poll huge", lambda v: request("GET", RESULT + "9" * 40)),
    ("poll no key", lambda v: request("GET", f"{RESULT}{v}", key=None)),
    ("pending cap", lambda v: request("POST", TEXT, text_body())),
    ("pending cap 2", lambda v: request("POST", TEXT, text_body())),
    ("over the cap", lambda v: request("POST", TEXT, text_body())),
    ("http 1.0", lambda v: request("GET", f"{RESULT}{v}", version="1.0")),
    ("connection close", lambda v: request("GET", f"{RESULT}{v}",
                                           extra="Connection: close\r\n")),
]
EARLY = {"no key", "wrong key type"}
ADVANCE = (b"POST /_emulator/clock/advance HTTP/1.1\r\nHost: x\r\n"
           b"Content-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"seconds\": 3600}")


def run_script(server: Counted) -> list[tuple[str, int, dict[str, str], bytes]]:
    answers = []
    video_id = 0
    for name, make in SCRIPT:
        status, headers, body = exchange(server, make(video_id))[0]
        if name == "create":
            video_id = json.loads(body)["Resp"]["video_id"]
        answers.append((name, status, headers, body))
    exchange(server, ADVANCE)
    for name in ("poll succeeded", "poll succeeded again"):
        answers.append((name, *exchange(server, request("GET", f"{RESULT}{video_id}"))[0]))
    return answers


def tokenless(body: bytes) -> bytes:
    """A result URL's token is random (unguessable), not drawn from the seed."""
    return re.sub(rb"/files/[^/]+/", b"/files/TOKEN/", body)


def comparable(headers: dict[str, str]) -> dict[str, str]:
    """All but the clock's date and a trace id the server made up."""
    kept = {k: v for k, v in headers.items() if k != "date"}
    if kept.get("ai-trace-id", "t-1") != "t-1":
        kept["ai-trace-id"] = "made up"
    return kept


def test_the_lane_answers_as_the_app_does() -> None:
    with live() as lane, live() as app:
        # A fault rule that never fires (another team's) sends every request to the app.
        app.emulator.add_fault(FaultRule(team="nobody", error="429"))
        both = run_script(lane), run_script(app)
        assert lane.served == len(SCRIPT) + 2 and app.served == 0
        for (name, *by_lane), (_, *by_app) in zip(*both, strict=True):
            status, headers, body = by_lane
            if name in EARLY:  # the app answered before reading the body, so it closed;
                # the lane answers with the whole body in, and keeps the connection
                assert by_app[1].pop("connection") == "close" and "connection" not in headers
            assert (status, comparable(headers), tokenless(body)) == (
                by_app[0], comparable(by_app[1]), tokenless(by_app[2])), name
        journals = [[{k: v for k, v in e.items() if k not in ("seq", "trace_id")}
                     for e in server.emulator.requests()] for server in (lane, app)]
        assert len(journals[0]) == len(SCRIPT) + 2  # (the control plane is not journaled)
        assert journals[0] == journals[1]


def test_a_finished_task_answers_anew_after_a_delete() -> None:
    with live() as server:
        created = exchange(server, request("POST", TEXT, text_body()))[0]
        video_id = json.loads(created[2])["Resp"]["video_id"]
        exchange(server, ADVANCE)
        first = json.loads(exchange(server, request("GET", f"{RESULT}{video_id}"))[0][2])
        assert first["Resp"]["status"] == 1
        server.emulator.set_status(video_id, 6)
        again = json.loads(exchange(server, request("GET", f"{RESULT}{video_id}"))[0][2])
        assert again["Resp"] == {"id": video_id, "status": 6}


def test_what_the_lane_does_not_own_reaches_the_app() -> None:
    with live(json_body_limit=1000) as server:
        answers = exchange(
            server,
            request("POST", TEXT + "/", text_body()),  # a trailing slash
            request("GET", f"{RESULT}1?x=1"),  # a query string
            request("GET", "/openapi/v2/video/%72esult/1"),  # percent-encoded
            request("GET", "/_emulator/health", key=None),
        )
        assert [a[0] for a in answers] == [200, 404, 404, 200]
        big = request("POST", TEXT, text_body(prompt="x" * 2000))
        status, headers, body = exchange(server, big)[0]
        assert status == 413 and "json_body_limit" in json.loads(body)["ErrMsg"]
        assert server.served == 0


def test_pipelined_requests_are_answered_in_order() -> None:
    with live() as server:
        answers = exchange(
            server,
            request("POST", TEXT, text_body(), extra="Ai-trace-id: p-1\r\n"),
            request("GET", "/_emulator/health", key=None),  # the app's, in between
            request("GET", f"{RESULT}424242"),
            request("POST", TEXT, text_body(), extra="Ai-trace-id: p-2\r\n"),
        )
        assert [a[0] for a in answers] == [200, 200, 404, 200]
        assert [a[1].get("ai-trace-id") for a in (answers[0], answers[3])] == ["p-1", "p-2"]
        assert "status" in json.loads(answers[1][2])
        # What came behind the app's health answer waited for it in uvicorn's queue.
        assert server.served == 1


def test_a_body_that_comes_in_pieces_and_expect_continue_still_work() -> None:
    with live() as server, server.connect() as sock:
        raw = request("POST", TEXT, text_body())
        head, _, body = raw.partition(b"\r\n\r\n")
        sock.sendall(head + b"\r\n\r\n" + body[:10])
        sock.sendall(body[10:])
        buffered = bytearray()
        assert read(sock, buffered)[0] == 200
        sock.sendall(request("POST", TEXT, text_body(), extra="Expect: 100-continue\r\n"))
        data = sock.recv(65536)
        if data.startswith(b"HTTP/1.1 100"):  # the interim answer, then the real one
            data = data.partition(b"\r\n\r\n")[2]
        buffered = bytearray(data)
        assert read(sock, buffered)[0] == 200


def test_a_fault_added_mid_run_applies_to_the_next_hot_request() -> None:
    with live() as server:
        assert exchange(server, request("POST", TEXT, text_body()))[0][0] == 200
        server.emulator.add_fault(FaultRule(route="text", error="402", count=1))
        status, _, body = exchange(server, request("POST", TEXT, text_body()))[0]
        assert status == 402 and json.loads(body)["ErrMsg"].startswith("Injected fault")
        assert exchange(server, request("POST", TEXT, text_body()))[0][0] == 200
        # The lane stepped aside while the rule existed; used up, it is gone.
        assert server.served == 2 and server.emulator.list_faults() == []


def test_the_cli_server_runs_the_lane_and_plain_asgi_apps_do_not() -> None:
    emulator = Emulator(Settings(quiet=True))
    try:
        assert http_protocol(create_app(emulator)).__name__ == "LazyKeepAliveHotProtocol"

        async def plain(scope: Any, receive: Any, send: Any) -> None:
            raise AssertionError("not called")

        assert "HotProtocol" not in http_protocol(plain).__name__
    finally:
        emulator.close()


@pytest.mark.parametrize("keep_alive", [True, False])
def test_kept_alive_hot_requests_leave_no_header_deadline_behind(keep_alive: bool) -> None:
    """The header deadline is disarmed once a hot request's headers are in, as for any
    request: otherwise a busy kept-alive connection would be cut at header_timeout."""
    with live(header_timeout=0.5) as server, server.connect() as sock:
        extra = "" if keep_alive else "Connection: close\r\n"
        sock.sendall(request("GET", f"{RESULT}1", extra=extra))
        buffered = bytearray()
        assert read(sock, buffered)[0] == 404
        protocols = [p for p in server.server._server.server_state.connections]
        if keep_alive:
            assert len(protocols) == 1
            assert protocols[0]._deadline is None
        else:
            assert sock.recv(10) == b""


def test_an_idle_connection_closes_after_the_keep_alive_timeout_and_a_busy_one_stays(
) -> None:
    """One keep-alive timer per connection (`keep_alive.py`): it closes a connection idle
    for the whole timeout, never one that kept sending requests meanwhile (hot ones and
    the app's alike), and that one too once it falls idle. No clock in the test: the
    busy connection answers first, so by the time the idle one is closed, the busy
    one's first timer has fired too."""
    with live() as server:
        server.server._server.config.timeout_keep_alive = 0.3  # read per connection
        with server.connect() as idle, server.connect() as busy:
            assert exchange_on(busy, request("GET", f"{RESULT}1"))[0] == 404
            assert exchange_on(idle, request("GET", f"{RESULT}1"))[0] == 404
            idle.setblocking(False)
            answered = 0
            while not closed(idle):
                assert exchange_on(busy, request("GET", f"{RESULT}1"))[0] == 404
                assert exchange_on(busy, request("GET", "/_emulator/health", key=None))[0] == 200
                answered += 2
                assert answered < 200_000, "the idle connection was never closed"
            assert exchange_on(busy, request("GET", f"{RESULT}1"))[0] == 404  # still open
            assert busy.recv(10) == b""  # closed once idle (a read bounded by LIMIT)
            assert answered > 0


def closed(sock: socket.socket) -> bool:
    """Whether the server closed this non-blocking socket (no data is expected)."""
    try:
        return sock.recv(10) == b""
    except BlockingIOError:
        return False


def exchange_on(sock: socket.socket, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    sock.sendall(raw)
    return read(sock, bytearray())


def test_an_answer_made_before_a_bad_request_still_goes_out_first() -> None:
    """uvicorn answers garbage with a 400 and closes at once; the hot answer made from
    the same read goes out before it."""
    with live() as server, server.connect() as sock:
        sock.sendall(request("POST", TEXT, text_body()) + b"NOT HTTP\r\n\r\n")
        buffered = bytearray()
        status, _, body = read(sock, buffered)
        assert status == 200 and json.loads(body)["Resp"]["video_id"] > 0
        assert read(sock, buffered)[0] == 400


def test_many_connections_at_once_each_get_their_own_answers_in_order() -> None:
    """Answers of one loop iteration leave together (`Outbox`): each connection still
    gets exactly its own, in its own order."""
    import threading

    with live(default_pending_cap=1000) as server:
        results: dict[int, list[str | None]] = {}

        def client(number: int) -> None:
            traces = [f"c{number}-{i}" for i in range(6)]
            answers = exchange(server, *(request("POST", TEXT, text_body(),
                                                 extra=f"Ai-trace-id: {t}\r\n")
                                         for t in traces))
            results[number] = [a[1].get("ai-trace-id") for a in answers]

        threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(LIMIT)
        assert results == {n: [f"c{n}-{i}" for i in range(6)] for n in range(16)}
        assert server.served == 16 * 6
