"""Drive the official PixVerse MCP server (`pixverse-mcp` 0.2.2 from PyPI, unmodified)
against a PixVerse-native API (the emulator's `--profile pixverse`).

Run it with the Python 3.12 venv that has `pixverse-mcp==0.2.2` and `mcp<2`, not with the
project's interpreter (see NOTES.md beside this file):

    /tmp/mcp-venv/bin/python tests/official/pixverse_mcp_driver.py \
        --base-url http://127.0.0.1:8080 --api-key test-key --workdir /tmp/mcp-run

It speaks MCP to pixverse-mcp's own server: by default it starts the `pixverse-mcp`
console script as a stdio subprocess, exactly as an MCP host (Cursor, Claude Desktop)
does, configured by the package's documented environment variables PIXVERSE_API_KEY and
PIXVERSE_BASE_URL; `--transport memory` runs the same `PixverseMCPServer` in-process over
mcp's in-memory streams. Nothing of pixverse_mcp is patched. The one thing the tools
cannot do, uploading an audio file, goes through pixverse-mcp's own `PixverseClient.
upload_media(media_type="audio")`, and the package's `wait_for_video_completion` (public
`poll_interval` argument) is exercised once too.

Steps, each printing one JSON line on stdout ({"step": ..., "ok": true, ...}):
list_tools, tts_speakers, upload_image_png, upload_image_jpg, upload_video, upload_audio,
text_to_video, client_wait_for_video_completion, image_to_video, transition_video,
extend_video, fusion_video, lip_sync_tts, lip_sync_audio, sound_effect_video, summary.
Every generation is polled with the get_video_status tool until "completed" and its
video is downloaded into --workdir. The first failure prints {"ok": false, "error": ...},
a message on stderr, and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

EXPECTED_VERSION = "0.2.2"
REPO = Path(__file__).resolve().parents[2]
GENERATION_TOOLS = ("text_to_video", "image_to_video", "transition_video", "extend_video",
                    "lip_sync_video", "sound_effect_video", "fusion_video")
EXPECTED_TOOLS = {"capabilities_overview", "upload_image", "upload_video", "get_tts_speakers",
                  "get_video_status", *GENERATION_TOOLS}
# Keys of the tools' answers that are advice for an LLM, not data: left out of the output.
CHATTER = {"next_step", "instruction_for_llm", "estimated_time", "polling_config", "message",
           "polling_log"}


class StepFailed(Exception):
    def __init__(self, step: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.step = step
        self.detail = detail


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, default=str), flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", required=True,
                    help="origin of the PixVerse-native API, e.g. http://127.0.0.1:8080 "
                         "(no path: pixverse-mcp drops the base URL's last path segment)")
    ap.add_argument("--api-key", required=True, help="sent as the API-KEY header")
    ap.add_argument("--workdir", required=True, type=Path,
                    help="downloads and pixverse-mcp's stderr log go here")
    ap.add_argument("--fixtures", type=Path, default=REPO / "fixtures",
                    help="folder with sample.png, sample.jpg, sample.mp4, sample.wav")
    ap.add_argument("--image", type=Path, help="first image (default: FIXTURES/sample.png)")
    ap.add_argument("--image2", type=Path, help="second image (default: FIXTURES/sample.jpg)")
    ap.add_argument("--video", type=Path, help="video to upload (default: FIXTURES/sample.mp4)")
    ap.add_argument("--audio", type=Path, help="audio to upload (default: FIXTURES/sample.wav)")
    ap.add_argument("--transport", choices=("stdio", "memory"), default="stdio",
                    help="stdio: spawn the pixverse-mcp console script (default); "
                         "memory: PixverseMCPServer in this process")
    ap.add_argument("--model", default="v5", choices=("v4.5", "v5"),
                    help="model for text/image/transition/extend (fusion is always v4.5: "
                         "pixverse-mcp forces it)")
    ap.add_argument("--quality", default="360p", choices=("360p", "540p", "720p", "1080p"))
    ap.add_argument("--duration", type=int, default=5, choices=(5, 8))
    ap.add_argument("--poll-interval", type=float, default=1.0,
                    help="seconds between get_video_status calls while a task runs; "
                         "pixverse-mcp's client spaces its own requests >= 1 s apart anyway")
    ap.add_argument("--task-timeout", type=float, default=120.0,
                    help="seconds a generation may take before the run fails")
    ap.add_argument("--allow-size-mismatch", action="store_true",
                    help="do not fail when the result's `size` differs from the bytes downloaded")
    ap.add_argument("--verbose", action="store_true",
                    help="keep pixverse-mcp's INFO logging (memory transport) on stderr")
    return ap.parse_args(argv)


def check_environment() -> dict[str, Any]:
    if sys.version_info < (3, 12):
        raise StepFailed("environment", f"needs Python >= 3.12 (pixverse-mcp requires it); "
                                        f"this is {sys.version.split()[0]} at {sys.executable}")
    from importlib.metadata import PackageNotFoundError, version
    try:
        got = version("pixverse-mcp")
        mcp_version = version("mcp")
    except PackageNotFoundError as e:
        raise StepFailed("environment", f"{e.name} is not installed in {sys.prefix}: "
                                        "pip install 'pixverse-mcp==0.2.2' 'mcp<2'") from e
    if got != EXPECTED_VERSION:
        raise StepFailed("environment", f"pixverse-mcp {got} installed, {EXPECTED_VERSION} "
                                        "expected")
    if int(mcp_version.split(".")[0]) >= 2:
        raise StepFailed("environment", f"mcp {mcp_version} installed; pixverse-mcp 0.2.2 "
                                        "needs mcp<2")
    return {"python": sys.version.split()[0], "pixverse_mcp": got, "mcp": mcp_version,
            "executable": sys.executable}


def fixture(args: argparse.Namespace, given: Path | None, name: str) -> Path:
    path = given or args.fixtures / name
    if not path.is_file():
        raise StepFailed("environment", f"sample file missing: {path}")
    return path.resolve()


def tool_payload(step: str, result: Any) -> dict[str, Any]:
    """The dict a pixverse-mcp tool returned, from the MCP CallToolResult."""
    text = "".join(getattr(c, "text", "") for c in result.content)
    if result.isError:
        raise StepFailed(step, f"MCP error result: {text}")
    payload = result.structuredContent
    if payload is None:
        try:
            payload = json.loads(text)
        except ValueError as e:
            raise StepFailed(step, f"tool answer is not JSON: {text[:500]}") from e
    if not payload.get("success"):
        # pixverse-mcp catches every exception and answers success=false with str(error).
        raise StepFailed(step, f"tool failed: {payload.get('error')!r}", payload)
    return payload


def lean(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in CHATTER}


@asynccontextmanager
async def mcp_session(args: argparse.Namespace) -> AsyncIterator[Any]:
    from mcp import ClientSession

    if args.transport == "memory":
        # The package's documented configuration: env PIXVERSE_API_KEY / PIXVERSE_BASE_URL.
        os.environ["PIXVERSE_API_KEY"] = args.api_key
        os.environ["PIXVERSE_BASE_URL"] = args.base_url
        from mcp.shared.memory import create_connected_server_and_client_session
        from pixverse_mcp.server import PixverseMCPServer

        server = PixverseMCPServer()
        await server.initialize()
        try:
            async with create_connected_server_and_client_session(server.server) as session:
                yield session
        finally:
            if server.client is not None:
                await server.client.close()
        return

    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    script = Path(sys.executable).parent / "pixverse-mcp"
    command, cmd_args = (str(script), []) if script.exists() else (
        sys.executable, ["-m", "pixverse_mcp"])
    env = {"PIXVERSE_API_KEY": args.api_key, "PIXVERSE_BASE_URL": args.base_url}
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
                 "https_proxy", "ALL_PROXY", "all_proxy"):
        if name in os.environ:
            env[name] = os.environ[name]
    params = StdioServerParameters(command=command, args=cmd_args, env=env)
    with open(args.workdir / "pixverse-mcp.stderr.log", "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


class Run:
    def __init__(self, args: argparse.Namespace, session: Any, client: Any) -> None:
        self.args = args
        self.session = session
        self.client = client  # pixverse_mcp.PixverseClient, for what no tool does
        self.steps = 0

    async def tool(self, step: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = await self.session.call_tool(name, arguments)
        return tool_payload(step, result)

    def done(self, step: str, started: float, **fields: Any) -> None:
        self.steps += 1
        emit({"step": step, "ok": True, "elapsed_s": round(time.monotonic() - started, 3),
              **fields})

    async def generate(self, step: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Create through the tool, poll get_video_status until done, download the video."""
        started = time.monotonic()
        created = await self.tool(step, tool, arguments)
        video_id = created.get("video_id")
        if not isinstance(video_id, int) or created.get("status") != "submitted":
            raise StepFailed(step, f"unexpected create answer: {created!r}", created)
        polls, statuses = 0, []
        while True:
            polls += 1
            status = await self.tool(step, "get_video_status", {"video_id": video_id})
            statuses.append(status.get("status"))
            if status.get("status") == "completed":
                break
            if status.get("status") not in ("pending", "in_progress"):
                raise StepFailed(step, f"video {video_id} ended as {status.get('status')!r}",
                                 lean(status))
            if time.monotonic() - started > self.args.task_timeout:
                raise StepFailed(step, f"video {video_id} not completed after "
                                       f"{self.args.task_timeout}s ({polls} polls, last "
                                       f"status {status.get('status')!r})")
            await asyncio.sleep(self.args.poll_interval)
        data = status.get("data") or {}
        url = status.get("video_url")
        if not url:
            raise StepFailed(step, f"video {video_id} completed without a url", lean(status))
        target = self.args.workdir / f"{step}_{video_id}.mp4"
        downloaded, content_type, magic = await self.download(step, url, target)
        size = data.get("size")
        if size is not None and size != downloaded and not self.args.allow_size_mismatch:
            raise StepFailed(step, f"result size {size} but {downloaded} bytes downloaded "
                                   f"from {url}")
        self.done(step, started, tool=tool, arguments=arguments, video_id=video_id,
                  create=lean(created), polls=polls, statuses=statuses,
                  status=status.get("status"), url=url, width=data.get("outputWidth"),
                  height=data.get("outputHeight"), resolution=status.get("resolution"),
                  size=size, seed=data.get("seed"), has_audio=data.get("has_audio"),
                  result=data, downloaded_bytes=downloaded, download_content_type=content_type,
                  mp4_ftyp=magic, file=str(target))
        return {"video_id": video_id, "status": status}

    async def download(self, step: str, url: str, target: Path) -> tuple[int, str | None, bool]:
        # pixverse-mcp never downloads: it only hands the URL on. This is what a user does.
        import httpx

        async with httpx.AsyncClient(follow_redirects=True, timeout=60.0) as http:
            response = await http.get(url)
        if response.status_code != 200:
            raise StepFailed(step, f"download of {url} answered HTTP {response.status_code}: "
                                   f"{response.text[:300]}")
        body = response.content
        if not body:
            raise StepFailed(step, f"download of {url} is empty")
        target.write_bytes(body)
        return len(body), response.headers.get("content-type"), body[4:8] == b"ftyp"

    async def run(self) -> None:
        a = self.args
        gen = {"model": a.model, "duration": a.duration, "quality": a.quality}

        started = time.monotonic()
        tools = {t.name for t in (await self.session.list_tools()).tools}
        if missing := EXPECTED_TOOLS - tools:
            raise StepFailed("list_tools", f"tools missing: {sorted(missing)}")
        self.done("list_tools", started, tools=sorted(tools))

        started = time.monotonic()
        speakers = await self.tool("tts_speakers", "get_tts_speakers",
                                   {"page_num": 1, "page_size": 30})
        available = speakers.get("available_speakers") or []
        if not available or not available[0].get("speaker_id"):
            raise StepFailed("tts_speakers", "no TTS speaker listed", lean(speakers))
        speaker_id = available[0]["speaker_id"]
        self.done("tts_speakers", started, total=speakers.get("total_speakers"),
                  speakers=speakers.get("speakers"), chosen_speaker_id=speaker_id)

        img_ids = []
        for step, path in (("upload_image_png", fixture(a, a.image, "sample.png")),
                           ("upload_image_jpg", fixture(a, a.image2, "sample.jpg"))):
            started = time.monotonic()
            up = await self.tool(step, "upload_image", {"file_path": str(path)})
            if not isinstance(up.get("img_id"), int) or not up.get("img_url"):
                raise StepFailed(step, f"bad upload answer: {up!r}", up)
            img_ids.append(up["img_id"])
            self.done(step, started, file=str(path), img_id=up["img_id"], img_url=up["img_url"])

        started = time.monotonic()
        video_path = fixture(a, a.video, "sample.mp4")
        up = await self.tool("upload_video", "upload_video", {"file_path": str(video_path)})
        if not isinstance(up.get("video_media_id"), int):
            raise StepFailed("upload_video", f"bad upload answer: {up!r}", up)
        video_media_id = up["video_media_id"]
        self.done("upload_video", started, file=str(video_path), video_media_id=video_media_id,
                  media_url=up.get("media_url"), media_type=up.get("media_type"))

        # No MCP tool uploads audio: the package's client method does it.
        started = time.monotonic()
        audio_path = fixture(a, a.audio, "sample.wav")
        try:
            audio = await self.client.upload_media(file_path=str(audio_path), media_type="audio")
        except Exception as e:
            raise StepFailed("upload_audio", f"PixverseClient.upload_media: {type(e).__name__}: "
                                             f"{e}") from e
        self.done("upload_audio", started, file=str(audio_path), media_id=audio.media_id,
                  media_type=audio.media_type, url=audio.url)

        t2v = await self.generate("text_to_video", "text_to_video", {
            "prompt": "A small blue cube rotating on a white desk, clean studio lighting",
            "aspect_ratio": "16:9", **gen})
        t2v_id = t2v["video_id"]

        # The package's own poll helper, through its public poll_interval argument.
        started = time.monotonic()
        try:
            waited = await self.client.wait_for_video_completion(
                t2v_id, max_wait_time=int(a.task_timeout), poll_interval=a.poll_interval)
        except Exception as e:
            raise StepFailed("client_wait_for_video_completion",
                             f"{type(e).__name__}: {e}") from e
        if waited.status.value != "completed" or not waited.url:
            raise StepFailed("client_wait_for_video_completion", f"got {waited!r}")
        self.done("client_wait_for_video_completion", started, video_id=t2v_id,
                  status=waited.status.value, url=waited.url, width=waited.outputWidth,
                  height=waited.outputHeight, size=waited.size)

        await self.generate("image_to_video", "image_to_video", {
            "prompt": "The scene slowly comes alive", "img_id": img_ids[0], **gen})
        await self.generate("transition_video", "transition_video", {
            "prompt": "A smooth morph from the first picture to the second",
            "first_frame_img": img_ids[0], "last_frame_img": img_ids[1], **gen})
        await self.generate("extend_video", "extend_video", {
            "prompt": "The cube keeps rotating", "source_video_id": t2v_id, **gen})
        await self.generate("fusion_video", "fusion_video", {
            "prompt": "@hero stands in front of @scene",
            "image_references": [
                {"type": "subject", "img_id": img_ids[0], "ref_name": "hero"},
                {"type": "background", "img_id": img_ids[1], "ref_name": "scene"}],
            "duration": a.duration, "quality": a.quality, "aspect_ratio": "16:9"})
        await self.generate("lip_sync_tts", "lip_sync_video", {
            "source_video_id": t2v_id, "lip_sync_tts_speaker_id": speaker_id,
            "lip_sync_tts_content": "Hello from the PixVerse emulator."})
        await self.generate("lip_sync_audio", "lip_sync_video", {
            "video_media_id": video_media_id, "audio_media_id": audio.media_id})
        await self.generate("sound_effect_video", "sound_effect_video", {
            "source_video_id": t2v_id, "sound_effect_content": "Soft wind and a ticking clock",
            "original_sound_switch": False})


async def amain(args: argparse.Namespace) -> int:
    from pixverse_mcp import PixverseClient

    args.workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    client = PixverseClient(api_key=args.api_key, base_url=args.base_url)
    try:
        async with mcp_session(args) as session:
            run = Run(args, session, client)
            await run.run()
    finally:
        await client.close()
    emit({"step": "summary", "ok": True, "steps": run.steps,
          "elapsed_s": round(time.monotonic() - started, 3), "transport": args.transport,
          "base_url": args.base_url, "workdir": str(args.workdir)})
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.verbose:
        # Logging configuration of loguru (pixverse-mcp's logger), not a patch of the package.
        from loguru import logger
        logger.remove()
        logger.add(sys.stderr, level="WARNING")
    try:
        emit({"step": "environment", "ok": True, **check_environment(),
              "transport": args.transport})
        return asyncio.run(amain(args))
    except StepFailed as e:
        emit({"step": e.step, "ok": False, "error": str(e), "detail": e.detail})
        print(f"pixverse_mcp_driver: FAILED at step {e.step}: {e}", file=sys.stderr)
        return 1
    except BaseException as e:  # noqa: BLE001 - any other failure is a failed run too
        if isinstance(e, KeyboardInterrupt):
            raise
        # anyio task groups wrap errors in ExceptionGroups: show the leaves.
        leaves = list(getattr(e, "exceptions", [])) or [e]
        message = "; ".join(f"{type(x).__name__}: {x}" for x in leaves)
        failed = next((x for x in leaves if isinstance(x, StepFailed)), None)
        if failed is not None:
            emit({"step": failed.step, "ok": False, "error": str(failed),
                  "detail": failed.detail})
            print(f"pixverse_mcp_driver: FAILED at step {failed.step}: {failed}",
                  file=sys.stderr)
            return 1
        emit({"step": "error", "ok": False, "error": message})
        print(f"pixverse_mcp_driver: FAILED: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
