"""Sandbox mode (MODEL_GATEWAY_SANDBOX=1): every gateway is served by the emulator, started
once in this process on 127.0.0.1. No key needed; results say they come from the sandbox."""
from __future__ import annotations

import threading

from .emulator import Emulator

_emulator: Emulator | None = None
_lock = threading.Lock()


def emulator() -> Emulator:
    global _emulator
    with _lock:
        if _emulator is None:
            _emulator = Emulator(stream_delay=0.05)
            # slow enough that the queue position, progress and streamed text can be seen
            _emulator.jobs.queue_seconds, _emulator.jobs.run_seconds = 1.5, 3.0
            _emulator.jobs.image_longest = 768
            _emulator.video.update(width=640, height=360, seconds=3.0)
            from .emulator.billing import SANDBOX_BALANCE
            _emulator.ledger.gptunnel.balance = SANDBOX_BALANCE
            _emulator.start()
        return _emulator


def base_url(gateway: str, role: str) -> str:
    url = emulator().base_url(gateway, role)
    return url.replace("{env_id}", "sandbox")
