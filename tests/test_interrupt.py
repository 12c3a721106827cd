"""Cancel in ComfyUI stops a stream or a waiting request within a second."""
from __future__ import annotations

import threading
import time

import pytest

from test_llm_nodes import run


def interrupt_after(fake_comfy, seconds):
    timer = threading.Timer(seconds, fake_comfy.interrupted.set)
    timer.start()
    return timer


@pytest.mark.parametrize("stream", [True, False])
def test_interrupt_stops_the_call_within_a_second(emulator, fake_comfy, stream):
    if stream:
        emulator.stream_delay = 2.0  # two seconds between streamed words
    else:
        emulator.reply_delay = 5.0  # the gateway thinks for five seconds
    interrupt_after(fake_comfy, 0.5)
    started = time.monotonic()
    with pytest.raises(fake_comfy.InterruptProcessingException):
        run("SeaCloudLLM", stream=stream)
    assert time.monotonic() - started < 1.5
