"""Server-sent events: the parser (bytes in, events out) and the reader over an HTTP response."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator


@dataclass
class Event:
    event: str
    data: str


class Parser:
    """Incremental SSE parser: feed() any slicing of the byte stream, get whole events back."""

    def __init__(self):
        self._buffer = b""
        self._event = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[Event]:
        self._buffer += chunk
        events = []
        while True:
            cut = self._buffer.find(b"\n")
            if cut < 0:
                return events
            line = self._buffer[:cut].rstrip(b"\r").decode("utf-8", errors="replace")
            self._buffer = self._buffer[cut + 1:]
            event = self._line(line)
            if event is not None:
                events.append(event)

    def close(self) -> list[Event]:
        """Whatever a stream that ended without a final blank line still held."""
        events = self.feed(b"\n") if self._buffer else []
        event = self._line("")
        return events + ([event] if event else [])

    def _line(self, line: str) -> Event | None:
        if not line:
            if not self._data and not self._event:
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
    """Events from a streamed requests.Response, as soon as each one arrives
    (read1 returns what the socket has instead of waiting for a full buffer)."""
    parser = Parser()
    raw = response.raw
    while True:
        chunk = raw.read1(65536)
        if not chunk:
            break
        yield from parser.feed(chunk)
    yield from parser.close()
