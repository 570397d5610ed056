"""Upload forms, read as they stream in.

The one file part a route expects goes straight into the store as its bytes arrive
(`Emulator.receive_file`), so an upload is written to disk exactly once; text fields
are kept (each up to `FIELD_MAX` bytes); file parts under other names are read past
and dropped. A URL-encoded body (`curl -d image_url=...`) has text fields only; any
other body has no fields at all, which the routes answer with the field they need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..errors import InvalidField
from ..store.files import Incoming

FIELD_MAX = 64 * 1024
WRITE_BATCH = 64 * 1024  # file bytes a connection may hold unwritten: a stall holds no more


@dataclass
class UploadForm:
    fields: dict[str, str] = field(default_factory=dict)
    file: Incoming | None = None


class Sink(Protocol):
    """Where an upload's file goes (the Emulator)."""

    def receive_file(self) -> Incoming: ...

    def write_file(self, incoming: Incoming, data: bytes) -> None: ...

    def discard_file(self, incoming: Incoming) -> None: ...


async def read_upload_form(request: Request, file_field: str, sink: Sink) -> UploadForm:
    """The form's fields and its `file_field` file, received into `sink` (which gets a
    file already begun back to discard on any error)."""
    media_type, params = parse_options_header(request.headers.get("content-type", ""))
    if media_type == b"multipart/form-data":
        boundary = params.get(b"boundary")
        if not boundary:
            raise InvalidField("body: a multipart/form-data Content-Type needs a boundary",
                               reason="multipart")
        return await _MultipartReader(file_field, sink).read(request, boundary)
    if media_type == b"application/x-www-form-urlencoded":
        return UploadForm(_url_encoded(await request.body()))
    return UploadForm()


class _MultipartReader:
    """python-multipart's callbacks, writing the expected file part as it arrives."""

    def __init__(self, file_field: str, sink: Sink) -> None:
        self.file_field = file_field
        self.sink = sink
        self._ended = False  # the closing boundary came
        self.form = UploadForm()
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._text: bytearray | None = None  # the current text part's bytes
        self._writing: Incoming | None = None  # the current part, when it is the file
        self._unwritten = bytearray()  # file bytes parsed, not yet written

    async def read(self, request: Request, boundary: bytes) -> UploadForm:
        callbacks = {
            "on_part_begin": self._begin,
            "on_part_data": self._data,
            "on_part_end": self._end,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_part,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_end": self._end_of_body,
        }
        try:
            parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
            async for chunk in request.stream():
                parser.write(chunk)
                if len(self._unwritten) >= WRITE_BATCH:
                    await self._write_out()
            parser.finalize()
            if not self._ended:
                raise InvalidField("body: the multipart body ends before its closing boundary",
                                   reason="multipart")
            await self._write_out()
        except BaseException as exc:
            if self.form.file is not None:
                self.sink.discard_file(self.form.file)
            if isinstance(exc, FormParserError):
                raise InvalidField("body: invalid multipart data", reason="multipart") from exc
            raise
        if self.form.file is not None:
            self.form.file.file.close()
        return self.form

    def _begin(self) -> None:
        self._disposition, self._text, self._writing = b"", None, None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise InvalidField("body: a multipart part has no name in its Content-Disposition",
                               reason="multipart")
        self._name = options[b"name"].decode("utf-8", "replace")
        is_file = b"filename" in options
        if self._name == self.file_field:
            if not is_file:
                raise InvalidField(f"{self._name}: must be a file part (with a filename)",
                                   reason="multipart")
            if self.form.file is not None:
                raise InvalidField(f"{self._name}: send one file, not several",
                                   reason="multipart")
            self._writing = self.form.file = self.sink.receive_file()
        elif not is_file:
            self._text = bytearray()

    async def _write_out(self) -> None:
        """Write the parsed file bytes in a worker thread: the event loop goes on
        receiving (and serving other requests) while the disk takes them."""
        if self._unwritten and self.form.file is not None:
            data, self._unwritten = bytes(self._unwritten), bytearray()
            await run_in_threadpool(self.sink.write_file, self.form.file, data)

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._writing is not None:
            self._unwritten += data[start:end]
        elif self._text is not None:
            self._text += data[start:end]
            if len(self._text) > FIELD_MAX:
                raise InvalidField(f"{self._name}: longer than {FIELD_MAX} bytes",
                                   reason="multipart")

    def _end(self) -> None:
        if self._text is not None:
            try:
                self.form.fields[self._name] = self._text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidField(f"{self._name}: not UTF-8 text", reason="multipart") from exc

    def _end_of_body(self) -> None:
        self._ended = True


def _url_encoded(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("ascii")
        return dict(parse_qsl(text, keep_blank_values=True, errors="strict"))
    except UnicodeError as exc:
        raise InvalidField("body: a URL-encoded form that is not UTF-8 text",
                           reason="form") from exc
