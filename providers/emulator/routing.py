"""What the emulator's gateway modules share with its server: a recorded request, a reply and
a route. Kept apart from server.py, which imports those modules, so that none imports it back."""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .faults import Fault


@dataclass
class Recorded:
    method: str
    path: str  # without the gateway prefix
    gateway: str
    query: dict
    headers: dict
    body: bytes
    raw_path: str = ""
    handled: bool = False  # the gateway did the work (a fault may still spoil the answer)
    received: float = field(default_factory=time.monotonic)
    fault: str | None = None

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Reply:
    status: int = 200
    json: object = None
    text: str | None = None
    data: bytes | None = None
    headers: dict = field(default_factory=dict)
    events: Iterable[tuple[str | None, str]] | None = None  # SSE (event name, data)
    event_delay: float = 0.0
    fault: "Fault | None" = None  # how the delivery of this answer goes wrong


@dataclass(frozen=True)
class Route:
    gateway: str
    method: str
    path: re.Pattern
    handler: Callable[["Emulator", Recorded], Reply]


def route(gateway: str, method: str, pattern: str, handler) -> Route:
    return Route(gateway, method, re.compile(pattern), handler)
