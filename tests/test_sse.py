"""The SSE parser, fed every slicing of a stream in every line ending; the reader over a
(content-encoded) response."""
from __future__ import annotations

import gzip
import io
import types
import zlib

import pytest

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


# -- line endings: LF, CRLF and a lone CR are all line ends (the SSE spec) -------------------

EVENTS = [("message_start", '{"a": 1}'), ("message", "line one\nline two"),
          ("message", '{"t": "我是"}'), ("message", "[DONE]")]


def frames(end: str) -> bytes:
    return (f": keep-alive comment{end}{end}"
            f"event: message_start{end}data: {{\"a\": 1}}{end}{end}"
            f"data: line one{end}data: line two{end}{end}"
            f"data: {{\"t\": \"\u6211\u662f\"}}{end}{end}"
            f"data: [DONE]{end}{end}").encode()


MIXED = (": keep-alive comment\r\n\r"
         "event: message_start\rdata: {\"a\": 1}\n\r\n"
         "data: line one\r\ndata: line two\r\r"
         "data: {\"t\": \"\u6211\u662f\"}\n\r"
         "data: [DONE]\r\n\n").encode()
STREAMS = {"lf": frames("\n"), "crlf": frames("\r\n"), "cr": frames("\r"), "mixed": MIXED}


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_line_endings_whole(name):
    assert parse([STREAMS[name]]) == EVENTS


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_line_endings_every_split_point(name):
    stream = STREAMS[name]
    for cut in range(len(stream) + 1):
        assert parse([stream[:cut], stream[cut:]]) == EVENTS, cut


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_line_endings_every_pair_of_split_points(name):
    stream = STREAMS[name]
    for first in range(0, len(stream) + 1, 3):
        for second in range(first, len(stream) + 1):
            chunks = [stream[:first], stream[first:second], stream[second:]]
            assert parse(chunks) == EVENTS, (first, second)


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_line_endings_byte_by_byte(name):
    stream = STREAMS[name]
    assert parse([stream[i:i + 1] for i in range(len(stream))]) == EVENTS


def test_crlf_split_across_two_chunks_is_one_line_end_not_two():
    # Were the LF that starts the second chunk read as an empty line, "a" and "b" would be
    # two events.
    assert parse([b"data: a\r", b"\ndata: b\r\n\r\n"]) == [("message", "a\nb")]
    assert parse([b"data: a\r", b"\n", b"data: b\r", b"\n\r", b"\n"]) == [("message", "a\nb")]


def test_cr_only_event_is_handed_back_as_soon_as_its_blank_line_arrives():
    parser = sse.Parser()
    assert parser.feed(b"data: one\r") == []
    first = parser.feed(b"\r")  # nothing more has arrived: the event must not wait for it
    assert [(e.event, e.data) for e in first] == [("message", "one")]
    assert [(e.event, e.data) for e in parser.feed(b"data: two\r\r")] == [("message", "two")]


def test_byte_order_mark_is_dropped_even_when_split():
    stream = b"\xef\xbb\xbfdata: x\n\n"
    for cut in range(len(stream) + 1):
        assert parse([stream[:cut], stream[cut:]]) == [("message", "x")], cut


def test_event_name_without_data_is_not_an_event():
    assert parse([b"event: ping\n\ndata: x\n\n"]) == [("message", "x")]


# -- the reader over a response: content encoding undone, events as they arrive -------------

def urllib3_response(body: bytes, encoding: str | None):
    import urllib3
    headers = {"Content-Encoding": encoding} if encoding else {}
    return urllib3.HTTPResponse(body=io.BytesIO(body), headers=headers, status=200,
                                preload_content=False, decode_content=False)


class WithoutRead1:
    """A urllib3 response as old versions (before 2.3) have it: no read1."""

    def __init__(self, raw):
        self.stream = raw.stream


@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
@pytest.mark.parametrize("old_urllib3", [False, True])
def test_read_events_undoes_content_encoding(encoding, old_urllib3):
    body = STREAMS["crlf"]
    if encoding == "gzip":
        body = gzip.compress(body)
    elif encoding == "deflate":
        body = zlib.compress(body)
    raw = urllib3_response(body, encoding)
    if old_urllib3:
        raw = WithoutRead1(raw)
    events = sse.read_events(types.SimpleNamespace(raw=raw))
    assert [(e.event, e.data) for e in events] == EVENTS
