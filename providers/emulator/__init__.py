"""A loopback HTTP server that speaks the gateways' protocols: the sandbox, and the tests' peer."""
from .server import Emulator, Recorded, Reply

__all__ = ["Emulator", "Recorded", "Reply"]
