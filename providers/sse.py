"""Server-sent events: the parser (bytes in, events out) and the reader over an HTTP response."""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Iterator

BOM = b"\xef\xbb\xbf"
LINE_END = re.compile(rb"\r\n|\r|\n")
READ_SIZE = 65536


@dataclass
class Event:
    event: str
    data: str


class Parser:
    """Incremental SSE parser: feed() any slicing of the byte stream, get whole events back.
    Lines end with CRLF, LF or a lone CR (the SSE spec allows all three). An event is handed
    back as soon as its blank line arrives, so a CR at the end of a chunk ends its line at
    once; a LF starting the next chunk is then the rest of that CRLF, not an empty line."""

    def __init__(self):
        self._buffer = b""
        self._after_cr = False  # the last line ended with a CR at the very end of a chunk
        self._started = False   # the leading byte order mark (if any) has been dealt with
        self._event = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[Event]:
        if not chunk:
            return []
        if self._after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._after_cr = False
        self._buffer += chunk
        if not self._started:
            if len(self._buffer) < len(BOM) and BOM.startswith(self._buffer):
                return []  # perhaps a byte order mark split across chunks
            self._started = True
            if self._buffer.startswith(BOM):
                self._buffer = self._buffer[len(BOM):]
        events = []
        start = 0
        for end in LINE_END.finditer(self._buffer):
            # Lines never split a UTF-8 sequence (CR and LF bytes occur in none), so each line
            # decodes on its own.
            event = self._line(self._buffer[start:end.start()].decode("utf-8", errors="replace"))
            if event is not None:
                events.append(event)
            start = end.end()
            if end.group() == b"\r" and start == len(self._buffer):
                self._after_cr = True
        self._buffer = self._buffer[start:]
        return events

    def close(self) -> list[Event]:
        """Whatever a stream that ended without a final blank line still held."""
        self._started = True
        events = self.feed(b"\n") if self._buffer else []
        event = self._line("")
        return events + ([event] if event else [])

    def _line(self, line: str) -> Event | None:
        if not line:
            if not self._data:  # the spec: no data, no event (an "event:" alone is dropped)
                self._event = ""
                return None
            event = Event(self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None


def read_events(response) -> Iterator[Event]:
    """Events from a streamed requests.Response, as soon as each one arrives, with any content
    encoding (gzip, deflate) undone. Transport errors (a cut or stalled stream) propagate as
    requests/urllib3 raise them: the caller maps them (http.reading_error)."""
    parser = Parser()
    for chunk in decoded_chunks(response.raw):
        yield from parser.feed(chunk)
    yield from parser.close()


def decoded_chunks(raw, size: int = READ_SIZE) -> Iterator[bytes]:
    """The body of a urllib3 response piece by piece as it arrives, decoded. requests opens
    streamed responses with decode_content=False, so reading raw would hand over gzip bytes."""
    if _read1_decodes(raw):
        # read1 returns what the socket has instead of waiting for a full buffer.
        while True:
            chunk = raw.read1(size, decode_content=True)
            if not chunk:
                return
            yield chunk
    else:
        # urllib3 before 2.3 has no read1: stream() still yields each HTTP chunk of a chunked
        # response (what SSE servers send) as it arrives.
        for chunk in raw.stream(size, decode_content=True):
            if chunk:
                yield chunk


def _read1_decodes(raw) -> bool:
    read1 = getattr(raw, "read1", None)
    if read1 is None:
        return False
    try:
        return "decode_content" in inspect.signature(read1).parameters
    except (TypeError, ValueError):
        return False
