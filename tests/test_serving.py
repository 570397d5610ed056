"""What needs a real server: header and body deadlines, early answers closing the
connection, SIGTERM with clients hanging on, TLS and the control plane's token as the
CLI starts them. Raw sockets where a client library would hide what happens; every wait
is bounded by a socket timeout or an exit, never a sleep."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from processes import started
from support import png_bytes

HEALTH = b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n"
LIMIT = 30  # seconds any one socket read may take before the test fails


def connect(base: str) -> socket.socket:
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=LIMIT)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """Read until the server closes the connection (bounded by the socket timeout)."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed in the middle of a body"
        body += chunk
    return int(lines[0].split()[1]), headers, body[:length]


def upload_head(length: int, boundary: str = "b0undary") -> bytes:
    return (f"POST /openapi/v2/image/upload HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer serving-team\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def part_start(boundary: str = "b0undary") -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
            f"filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").encode()


def test_headers_that_never_end_are_cut_off(tmp_path: Path) -> None:
    env = {"PIXVERSE_EMULATOR_HEADER_TIMEOUT": "0.3"}
    with started(env=env) as (_, base, _lines):
        slow = connect(base)
        slow.sendall(b"GET /_emulator/health HTTP/1.1\r\nHo")
        assert closed_by_server(slow)
        slow.close()
        kept = connect(base)  # a kept-alive connection: the deadline starts again
        kept.sendall(HEALTH)
        assert read_response(kept)[0] == 200
        kept.sendall(b"GET /_emulator/health HTTP/1.1\r\n")
        assert closed_by_server(kept)
        kept.close()
        fine = connect(base)
        fine.sendall(HEALTH)
        assert read_response(fine)[0] == 200
        fine.close()


def test_a_stalled_upload_is_abandoned_closed_and_freed(tmp_path: Path) -> None:
    env = {"PIXVERSE_EMULATOR_BODY_TIMEOUT": "0.3"}
    folder = tmp_path / "data"
    with started("--data-dir", str(folder), env=env) as (_, base, _lines):
        sock = connect(base)
        sock.sendall(upload_head(100_000) + part_start() + png_bytes(40, 40)[:200])
        status, headers, body = read_response(sock)
        assert status == 408 and headers["connection"] == "close"
        assert json.loads(body)["error"]["code"] == "request_timeout"
        assert "body_timeout" in json.loads(body)["ErrMsg"]
        assert closed_by_server(sock)
        sock.close()
        assert list((folder / "files").iterdir()) == []  # the partial upload is gone


def test_an_early_413_closes_without_reading_the_body(tmp_path: Path) -> None:
    with started() as (_, base, _lines):
        sock = connect(base)
        sock.sendall(upload_head(10**9))  # over the 20 MiB limit; no body byte sent
        status, headers, body = read_response(sock)
        assert status == 413 and headers["connection"] == "close"
        assert "image_upload_limit" in json.loads(body)["ErrMsg"]
        assert closed_by_server(sock)
        sock.close()


def test_an_answer_before_the_body_closes_the_connection(tmp_path: Path) -> None:
    with started() as (_, base, _lines):
        sock = connect(base)
        sock.sendall(b"POST /openapi/v2/video/text/generate HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 500\r\n\r\n{")  # no key: 401 before the body
        status, headers, _ = read_response(sock)
        assert status == 401 and headers["connection"] == "close"
        assert closed_by_server(sock)
        sock.close()


def test_sigterm_exits_in_time_whatever_clients_do(tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {"TMPDIR": str(temp), "PIXVERSE_EMULATOR_SHUTDOWN_TIMEOUT": "2",
           "PIXVERSE_EMULATOR_BODY_TIMEOUT": "600", "PIXVERSE_EMULATOR_HEADER_TIMEOUT": "600"}
    with started(env=env) as (process, base, _lines):
        (folder,) = temp.glob(f"pixverse-emulator-{process.pid}-*")
        stalled = connect(base)
        stalled.sendall(upload_head(100_000) + part_start() + b"\x89PNG")
        half = connect(base)
        half.sendall(b"GET /_emulator/health HTTP/1.1\r\n")
        idle = connect(base)
        idle.sendall(HEALTH)
        assert read_response(idle)[0] == 200
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=LIMIT)  # exits, instead of waiting for the stalled upload
    assert not folder.exists()
    for sock in (stalled, half, idle):
        sock.close()


def test_self_signed_tls_serves_https_a_real_client_trusts(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    env = {"PIXVERSE_EMULATOR_TLS": "self-signed", "PIXVERSE_EMULATOR_CLOCK": "manual"}
    with started("--data-dir", str(folder), env=env) as (_, base, lines):
        assert base.startswith("https://")
        ca = folder / "tls" / "ca.pem"
        assert any(str(ca) in line for line in lines)
        answer = httpx.get(f"{base}/_emulator/health", verify=trusting(ca))
        assert answer.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/_emulator/health")  # not trusted without the CA
        created = httpx.post(f"{base}/openapi/v2/video/text/generate", verify=trusting(ca),
                             headers={"Authorization": "Bearer tls-team"},
                             json={"model": "pixverse-c1", "prompt": "a cube", "duration": 1,
                                   "quality": "360p", "aspect_ratio": "16:9"})
        assert created.json()["ErrCode"] == 0
        # The hot lane answers over TLS too, with result URLs on https.
        advanced = httpx.post(f"{base}/_emulator/clock/advance", json={"seconds": 3600},
                              verify=trusting(ca))
        assert advanced.status_code == 200
        video_id = created.json()["Resp"]["video_id"]
        result = httpx.get(f"{base}/openapi/v2/video/result/{video_id}", verify=trusting(ca),
                           headers={"Authorization": "Bearer tls-team"}).json()["Resp"]
        assert result["status"] == 1 and result["url"].startswith(base + "/files/")
    certificate = (folder / "tls" / "server.pem").read_bytes()
    with started("--data-dir", str(folder), env=env) as (_, base, _lines):
        assert (folder / "tls" / "server.pem").read_bytes() == certificate  # kept
        assert httpx.get(f"{base}/_emulator/health", verify=trusting(ca)).status_code == 200


def test_a_given_certificate_and_key_serve_https(tmp_path: Path) -> None:
    from pixverse_emulator.http import tls

    cert, key = tls.self_signed(tmp_path, ["localhost", "127.0.0.1"])
    env = {"PIXVERSE_EMULATOR_TLS_CERT": str(cert), "PIXVERSE_EMULATOR_TLS_KEY": str(key)}
    with started(env=env) as (_, base, _lines):
        answer = httpx.get(f"{base}/_emulator/health", verify=trusting(tmp_path / "tls" / "ca.pem"))
        assert answer.status_code == 200


def test_a_tls_client_that_never_says_hello_is_cut_off(tmp_path: Path) -> None:
    env = {"PIXVERSE_EMULATOR_TLS": "self-signed", "PIXVERSE_EMULATOR_HEADER_TIMEOUT": "0.3",
           "PIXVERSE_EMULATOR_DATA_DIR": str(tmp_path / "data")}
    with started(env=env) as (_, base, _lines):
        silent = connect(base)  # connects, sends no ClientHello: asyncio alone waits 60 s
        assert closed_by_server(silent)  # fails with a timeout after LIMIT (30 s) if not
        silent.close()


def trusting(ca: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca))


def token_from(lines: list[str]) -> str:
    found = re.search(r"Authorization: Bearer (\S+)'", "".join(lines))
    assert found, lines
    return found.group(1)


def test_off_loopback_without_a_token_one_is_made_printed_and_required() -> None:
    with started("--host", "0.0.0.0", env={"TMPDIR": tempfile.gettempdir()}) as (
        _, base, lines
    ):
        token = token_from(lines)
        local = base.replace("0.0.0.0", "127.0.0.1")
        refused = httpx.get(f"{local}/_emulator/teams/acme")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "admin_unauthorized"
        allowed = httpx.get(f"{local}/_emulator/teams/acme",
                            headers={"Authorization": f"Bearer {token}"})
        assert allowed.status_code in (200, 404)
        assert httpx.get(f"{local}/_emulator/health").json()["status"] == "ok"


def test_admin_open_leaves_it_open_and_warns() -> None:
    env = {"PIXVERSE_EMULATOR_ADMIN_OPEN": "true"}
    with started("--host", "0.0.0.0", env=env) as (_, base, lines):
        assert "WARNING" in "".join(lines) and "Bearer" not in "".join(lines)
        local = base.replace("0.0.0.0", "127.0.0.1")
        assert httpx.get(f"{local}/_emulator/clock").status_code == 200


def test_loopback_needs_no_token() -> None:
    with started() as (_, base, lines):
        assert "Bearer" not in "".join(lines)
        assert httpx.get(f"{base}/_emulator/clock").status_code == 200


def test_the_self_signed_key_is_never_readable_by_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pixverse_emulator.http import tls

    monkeypatch.setattr(Path, "chmod", lambda *_a, **_k: None)  # no tightening after the fact
    old = os.umask(0o022)
    try:
        _, key = tls.self_signed(tmp_path, ["localhost"])
    finally:
        os.umask(old)
    assert key.stat().st_mode & 0o777 == 0o600


def test_connections_have_nagle_off_so_kept_alive_answers_are_not_delayed() -> None:
    """The answer goes out as headers then body; with Nagle's algorithm on, the body
    waits for the client's delayed ACK (~40 ms a request). asyncio turns it off only on
    sockets listening as IPPROTO_TCP, so the listening socket must say so."""
    from pixverse_emulator import Emulator, LiveServer, Settings, create_app

    emulator = Emulator(Settings())
    with LiveServer(create_app(emulator)) as server, httpx.Client() as client:
        client.get(f"{server.base_url}/_emulator/health")  # keeps the connection open
        (connection,) = server._server.server_state.connections
        accepted = connection.transport.get_extra_info("socket")
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    emulator.close()


@pytest.mark.parametrize("parser", ["httptools", "h11"])
def test_the_header_deadline_holds_with_either_parser(parser: str) -> None:
    """h11 is what serves where httptools cannot install; the deadline works with its
    request cycles as with httptools' callbacks (which the hot lane also uses)."""
    import threading

    from uvicorn.protocols.http.h11_impl import H11Protocol

    from pixverse_emulator import Emulator, Settings, create_app
    from pixverse_emulator.http.serving import bind, header_deadline, http_protocol, server

    emulator = Emulator(Settings(header_timeout=0.3, quiet=True))
    app = create_app(emulator)
    base = http_protocol(app) if parser == "httptools" else H11Protocol
    sock = bind("127.0.0.1", 0)
    running = server(app, emulator.settings, http=header_deadline(base, 0.3),
                     log_level="warning", lifespan="off")
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        kept = connect(url)
        for _ in range(3):  # whole requests on a kept-alive connection: never cut
            kept.sendall(b"GET /openapi/v2/video/result/1 HTTP/1.1\r\nHost: x\r\n"
                         b"Authorization: Bearer k\r\n\r\n")
            assert read_response(kept)[0] == 404
        kept.sendall(b"GET /_emulator/health HTTP/1.1\r\nHo")  # then headers that stall
        assert closed_by_server(kept)
        kept.close()
    finally:
        running.should_exit = True
        thread.join(timeout=10)
        sock.close()
        emulator.close()
