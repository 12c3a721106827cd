"""A loopback HTTP server that speaks the gateways' protocols: the sandbox, and the tests' peer."""
from .routing import Recorded, Reply
from .server import Emulator

__all__ = ["Emulator", "Recorded", "Reply"]
