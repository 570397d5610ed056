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
list_tools, tts_speakers, upload_image_png, upload_image_jpg, upload_video,
[upload_image_url, upload_video_url with --with-url-uploads], upload_audio,
text_to_video, client_wait_for_video_completion, image_to_video, transition_video,
extend_video, fusion_video, lip_sync_tts, lip_sync_audio, sound_effect_video, summary.
Every generation is polled with the get_video_status tool until "completed" and its
video is downloaded into --workdir. The first failure prints {"ok": false, "error": ...},
a message on stderr, and exits 1 (--keep-going: every failure, then exit 1 at the end;
--skip STEP,...: leave steps out, with the steps that need them). The last line is
{"step": "summary", "ok": ..., "passed": [...], "failed": [...], "skipped": [...]}.
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
    ap.add_argument("--poll-interval", type=float, default=5.0,
                    help="seconds between get_video_status calls while a task runs; "
                         "pixverse-mcp's client spaces its own requests >= 1 s apart anyway")
    ap.add_argument("--task-timeout", type=float, default=120.0,
                    help="seconds a generation may take before the run fails")
    ap.add_argument("--allow-size-mismatch", action="store_true",
                    help="do not fail when the result's `size` differs from the bytes downloaded")
    ap.add_argument("--with-url-uploads", action="store_true",
                    help="also upload_image by image_url and upload_video by file_url "
                         "(form-urlencoded; the URLs are example.com ones, never fetched)")
    ap.add_argument("--skip", type=lambda v: [s for s in v.split(",") if s], default=[],
                    help="comma-separated steps not to run (steps needing them are skipped "
                         "too); for trying the driver while the profile is incomplete")
    ap.add_argument("--keep-going", action="store_true",
                    help="after a failed step go on with the steps that do not need it, "
                         "then exit 1 (default: stop at the first failure)")
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


# Every step, in run order, with the steps whose results it needs.
STEPS: dict[str, tuple[str, ...]] = {
    "list_tools": (),
    "tts_speakers": (),
    "upload_image_png": (),
    "upload_image_jpg": (),
    "upload_video": (),
    "upload_image_url": (),
    "upload_video_url": (),
    "upload_audio": (),
    "text_to_video": (),
    "client_wait_for_video_completion": ("text_to_video",),
    "image_to_video": ("upload_image_png",),
    "transition_video": ("upload_image_png", "upload_image_jpg"),
    "extend_video": ("text_to_video",),
    "fusion_video": ("upload_image_png", "upload_image_jpg"),
    "lip_sync_tts": ("text_to_video", "tts_speakers"),
    "lip_sync_audio": ("upload_video", "upload_audio"),
    "sound_effect_video": ("text_to_video",),
}
OPT_IN = {"upload_image_url", "upload_video_url"}  # only with --with-url-uploads


class Run:
    def __init__(self, args: argparse.Namespace, session: Any, client: Any) -> None:
        self.args = args
        self.session = session
        self.client = client  # pixverse_mcp.PixverseClient, for what no tool does
        self.gen = {"model": args.model, "duration": args.duration, "quality": args.quality}
        self.state: dict[str, Any] = {}  # step name -> what later steps need from it
        self.passed: list[str] = []
        self.failed: list[str] = []
        self.skipped: list[str] = []

    async def run(self) -> None:
        for name, needs in STEPS.items():
            if name in OPT_IN and not self.args.with_url_uploads:
                continue
            missing = [n for n in needs if n not in self.state]
            if name in self.args.skip or missing:
                self.skipped.append(name)
                emit({"step": name, "ok": None, "skipped": True,
                      "reason": "--skip" if name in self.args.skip
                      else f"needs {', '.join(missing)}"})
                continue
            try:
                self.state[name] = await getattr(self, "step_" + name)(name)
                self.passed.append(name)
            except StepFailed as e:
                if not self.args.keep_going:
                    raise
                self.failed.append(name)
                report_failure(e)
            except Exception as e:  # a pixverse_mcp exception or a bug: the step failed
                failure = StepFailed(name, f"{type(e).__name__}: {e}")
                if not self.args.keep_going:
                    raise failure from e
                self.failed.append(name)
                report_failure(failure)

    async def tool(self, step: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = await self.session.call_tool(name, arguments)
        return tool_payload(step, result)

    def done(self, step: str, started: float, **fields: Any) -> None:
        emit({"step": step, "ok": True, "elapsed_s": round(time.monotonic() - started, 3),
              **fields})

    # -- the steps ------------------------------------------------------------------------

    async def step_list_tools(self, step: str) -> set[str]:
        started = time.monotonic()
        tools = {t.name for t in (await self.session.list_tools()).tools}
        if missing := EXPECTED_TOOLS - tools:
            raise StepFailed(step, f"tools missing: {sorted(missing)}")
        self.done(step, started, tools=sorted(tools))
        return tools

    async def step_tts_speakers(self, step: str) -> str:
        started = time.monotonic()
        speakers = await self.tool(step, "get_tts_speakers", {"page_num": 1, "page_size": 30})
        available = speakers.get("available_speakers") or []
        if not available or not available[0].get("speaker_id"):
            raise StepFailed(step, "no TTS speaker listed", lean(speakers))
        speaker_id: str = available[0]["speaker_id"]
        self.done(step, started, total=speakers.get("total_speakers"),
                  speakers=speakers.get("speakers"), chosen_speaker_id=speaker_id)
        return speaker_id

    async def upload_image(self, step: str, path: Path) -> int:
        started = time.monotonic()
        up = await self.tool(step, "upload_image", {"file_path": str(path)})
        if not isinstance(up.get("img_id"), int) or not up.get("img_url"):
            raise StepFailed(step, f"bad upload answer: {up!r}", up)
        self.done(step, started, file=str(path), img_id=up["img_id"], img_url=up["img_url"])
        return int(up["img_id"])

    async def step_upload_image_png(self, step: str) -> int:
        return await self.upload_image(step, fixture(self.args, self.args.image, "sample.png"))

    async def step_upload_image_jpg(self, step: str) -> int:
        return await self.upload_image(step, fixture(self.args, self.args.image2, "sample.jpg"))

    async def step_upload_video(self, step: str) -> int:
        started = time.monotonic()
        path = fixture(self.args, self.args.video, "sample.mp4")
        up = await self.tool(step, "upload_video", {"file_path": str(path)})
        if not isinstance(up.get("video_media_id"), int):
            raise StepFailed(step, f"bad upload answer: {up!r}", up)
        self.done(step, started, file=str(path), video_media_id=up["video_media_id"],
                  media_url=up.get("media_url"), media_type=up.get("media_type"))
        return int(up["video_media_id"])

    async def upload_url(self, step: str, tool: str, arguments: dict[str, str],
                         id_key: str) -> int:
        started = time.monotonic()
        up = await self.tool(step, tool, arguments)
        if not isinstance(up.get(id_key), int):
            raise StepFailed(step, f"bad upload answer: {up!r}", up)
        self.done(step, started, **lean(up))
        return int(up[id_key])

    async def step_upload_image_url(self, step: str) -> int:
        return await self.upload_url(step, "upload_image", {
            "image_url": "https://example.com/pixverse/sample.png"}, "img_id")

    async def step_upload_video_url(self, step: str) -> int:
        return await self.upload_url(step, "upload_video", {
            "file_url": "https://example.com/pixverse/sample.mp4"}, "video_media_id")

    async def step_upload_audio(self, step: str) -> int:
        # No MCP tool uploads audio: the package's own client method does it.
        started = time.monotonic()
        path = fixture(self.args, self.args.audio, "sample.wav")
        audio = await self.client.upload_media(file_path=str(path), media_type="audio")
        self.done(step, started, file=str(path), media_id=audio.media_id,
                  media_type=audio.media_type, url=audio.url)
        return int(audio.media_id)

    async def step_text_to_video(self, step: str) -> int:
        return await self.generate(step, "text_to_video", {
            "prompt": "A small blue cube rotating on a white desk, clean studio lighting",
            "aspect_ratio": "16:9", **self.gen})

    async def step_client_wait_for_video_completion(self, step: str) -> None:
        # The package's own poll helper, through its public poll_interval argument.
        started = time.monotonic()
        video_id = self.state["text_to_video"]
        waited = await self.client.wait_for_video_completion(
            video_id, max_wait_time=int(self.args.task_timeout),
            poll_interval=self.args.poll_interval)
        if waited.status.value != "completed" or not waited.url:
            raise StepFailed(step, f"got {waited!r}")
        self.done(step, started, video_id=video_id, status=waited.status.value, url=waited.url,
                  width=waited.outputWidth, height=waited.outputHeight, size=waited.size)

    async def step_image_to_video(self, step: str) -> int:
        return await self.generate(step, "image_to_video", {
            "prompt": "The scene slowly comes alive", "img_id": self.state["upload_image_png"],
            **self.gen})

    async def step_transition_video(self, step: str) -> int:
        return await self.generate(step, "transition_video", {
            "prompt": "A smooth morph from the first picture to the second",
            "first_frame_img": self.state["upload_image_png"],
            "last_frame_img": self.state["upload_image_jpg"], **self.gen})

    async def step_extend_video(self, step: str) -> int:
        return await self.generate(step, "extend_video", {
            "prompt": "The cube keeps rotating", "source_video_id": self.state["text_to_video"],
            **self.gen})

    async def step_fusion_video(self, step: str) -> int:
        # No model argument: the tool has none and pixverse-mcp always sends "v4.5".
        return await self.generate(step, "fusion_video", {
            "prompt": "@hero stands in front of @scene",
            "image_references": [
                {"type": "subject", "img_id": self.state["upload_image_png"], "ref_name": "hero"},
                {"type": "background", "img_id": self.state["upload_image_jpg"],
                 "ref_name": "scene"}],
            "duration": self.args.duration, "quality": self.args.quality,
            "aspect_ratio": "16:9"})

    async def step_lip_sync_tts(self, step: str) -> int:
        return await self.generate(step, "lip_sync_video", {
            "source_video_id": self.state["text_to_video"],
            "lip_sync_tts_speaker_id": self.state["tts_speakers"],
            "lip_sync_tts_content": "Hello from the PixVerse emulator."})

    async def step_lip_sync_audio(self, step: str) -> int:
        return await self.generate(step, "lip_sync_video", {
            "video_media_id": self.state["upload_video"],
            "audio_media_id": self.state["upload_audio"]})

    async def step_sound_effect_video(self, step: str) -> int:
        return await self.generate(step, "sound_effect_video", {
            "source_video_id": self.state["text_to_video"],
            "sound_effect_content": "Soft wind and a ticking clock",
            "original_sound_switch": False})

    # -- generation: create, poll, download ------------------------------------------------

    async def generate(self, step: str, tool: str, arguments: dict[str, Any]) -> int:
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
            await self.move_time(step)
        data = status.get("data") or {}
        url = status.get("video_url")
        if not url:
            raise StepFailed(step, f"video {video_id} completed without a url", lean(status))
        target = self.args.workdir / f"{step}_{video_id}.mp4"
        downloaded, content_type, magic = await self.download(step, url, target)
        if not magic:
            raise StepFailed(step, f"{url} is not an MP4 (no 'ftyp' box at offset 4)")
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
        return video_id

    async def move_time(self, step: str) -> None:
        """Instead of waiting: the emulator's manual clock moves `--poll-interval`
        seconds through its control plane (a wall-clock server refuses with 409)."""
        import httpx

        async with httpx.AsyncClient(base_url=self.args.base_url) as control:
            moved = await control.post("/_emulator/clock/advance",
                                       json={"seconds": self.args.poll_interval})
        if moved.status_code != 200:
            raise StepFailed(step, "a task is still running and the server's clock cannot "
                                   f"be moved (HTTP {moved.status_code}): start it with "
                                   "clock=manual, or with progression=instant")

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
    ok = not run.failed
    emit({"step": "summary", "ok": ok, "passed": run.passed, "failed": run.failed,
          "skipped": run.skipped, "elapsed_s": round(time.monotonic() - started, 3),
          "transport": args.transport, "base_url": args.base_url, "workdir": str(args.workdir)})
    if not ok:
        print(f"pixverse_mcp_driver: FAILED steps: {', '.join(run.failed)}", file=sys.stderr)
    return 0 if ok else 1


def report_failure(e: StepFailed) -> None:
    emit({"step": e.step, "ok": False, "error": str(e), "detail": e.detail})
    print(f"pixverse_mcp_driver: FAILED at step {e.step}: {e}", file=sys.stderr)


def leaf_exceptions(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for sub in error.exceptions for leaf in leaf_exceptions(sub)]
    return [error]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    unknown = set(args.skip) - set(STEPS)
    if unknown:
        print(f"--skip: unknown steps {sorted(unknown)}; steps are {list(STEPS)}",
              file=sys.stderr)
        return 2
    if not args.verbose:
        # Logging configuration of loguru (pixverse-mcp's logger), not a patch of the package.
        from loguru import logger
        logger.remove()
        logger.add(sys.stderr, level="WARNING")
    try:
        emit({"step": "environment", "ok": True, **check_environment(),
              "transport": args.transport})
        return asyncio.run(amain(args))
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - any other failure is a failed run too
        # anyio task groups wrap errors in (nested) ExceptionGroups: show the leaves.
        leaves = leaf_exceptions(e)
        failed = next((x for x in leaves if isinstance(x, StepFailed)), None)
        if failed is not None:
            report_failure(failed)
            return 1
        message = "; ".join(f"{type(x).__name__}: {x}" for x in leaves)
        emit({"step": "error", "ok": False, "error": message})
        print(f"pixverse_mcp_driver: FAILED: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
