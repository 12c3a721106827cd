"""The SSE parser, fed every slicing of a stream."""
from __future__ import annotations

from conftest import submodule

sse = submodule("providers.sse")

STREAM = (": keep-alive comment\r\n\r\n"
          "event: message_start\r\ndata: {\"a\": 1}\r\n\r\n"
          "data: line one\ndata: line two\n\n"
          "data: {\"t\": \"\u6211\u662f\"}\n\n"
          "data: [DONE]").encode()


def parse(chunks):
    parser = sse.Parser()
    events = [e for chunk in chunks for e in parser.feed(chunk)]
    return [(e.event, e.data) for e in events + parser.close()]


EXPECTED = [("message_start", '{"a": 1}'), ("message", "line one\nline two"),
            ("message", '{"t": "我是"}'), ("message", "[DONE]")]


def test_whole_stream():
    assert parse([STREAM]) == EXPECTED


def test_every_split_point_including_inside_utf8():
    for cut in range(len(STREAM) + 1):
        assert parse([STREAM[:cut], STREAM[cut:]]) == EXPECTED, cut


def test_byte_by_byte():
    assert parse([STREAM[i:i + 1] for i in range(len(STREAM))]) == EXPECTED
