"""Where keys and base URLs come from: the environment first, then the keys file.
Never from the workflow."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import GatewayError, register_secret
from .gateways import GATEWAYS, Gateway

SANDBOX_VAR = "MODEL_GATEWAY_SANDBOX"
KEYS_FILE_VAR = "MODEL_GATEWAY_KEYS_FILE"
SANDBOX_KEY = "sandbox-key"


def sandbox_enabled() -> bool:
    return os.environ.get(SANDBOX_VAR, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Access:
    """Everything needed to call one endpoint of one gateway."""
    gateway: Gateway
    base_url: str
    scheme: str | None
    source: str  # "environment", "keys file" or "sandbox"
    key: str = field(repr=False)

    @property
    def sandbox(self) -> bool:
        return self.source == "sandbox"

    def auth_headers(self) -> dict[str, str]:
        value = f"{self.scheme} {self.key}" if self.scheme else self.key
        return {"Authorization": value}

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


class KeyStore:
    """Reads settings from the environment, then from a JSON file of the same names
    (e.g. {"SEACLOUD_API_KEY": "..."}), which is written with mode 0600."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def read_file(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"The keys file {self.path} is not valid JSON ({exc.msg}, line "
                             f"{exc.lineno}). Fix or delete it.") from None
        if not isinstance(data, dict):
            raise ValueError(f"The keys file {self.path} must hold a JSON object of names to values.")
        return {str(k): str(v) for k, v in data.items() if v not in (None, "")}

    def write_file(self, updates: dict[str, str | None]) -> None:
        """Set (or, with None/empty, remove) names in the keys file, atomically, mode 0600."""
        data = self.read_file()
        for name, value in updates.items():
            if value:
                data[name] = value
            else:
                data.pop(name, None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def setting(self, name: str) -> tuple[str | None, str | None]:
        """(value, where it came from) for one setting name."""
        return self._lookup()(name)

    def _lookup(self, in_file: dict | None = None):
        """setting() for several names, reading the keys file at most once (and only when the
        environment does not answer)."""
        read: list[dict] = [] if in_file is None else [in_file]

        def lookup(name: str) -> tuple[str | None, str | None]:
            value = os.environ.get(name, "").strip()
            if value:
                return value, "environment"
            if not read:
                read.append(self.read_file())
            value = read[0].get(name, "").strip()
            return (value, "keys file") if value else (None, None)
        return lookup

    def access(self, gateway_id: str, role: str = "main") -> Access:
        gateway = GATEWAYS[gateway_id]
        endpoint = gateway.endpoint(role)
        if sandbox_enabled():
            from . import sandbox
            return Access(gateway, sandbox.base_url(gateway_id, role), endpoint.scheme,
                          "sandbox", SANDBOX_KEY)
        lookup = self._lookup()
        key, source = lookup(gateway.key_var)
        if not key:
            raise GatewayError(
                gateway.title, f"no API key is set ({gateway.key_var})",
                hint=(f"Set the environment variable {gateway.key_var}, or add it to the keys file "
                      f"{self.path} (or set {SANDBOX_VAR}=1 to try the pack against its built-in "
                      f"sandbox)."))
        register_secret(key)
        base, _ = lookup(endpoint.url_var)
        base = base or endpoint.default_url
        if "{env_id}" in base:
            base = base.replace("{env_id}", self._required(gateway, "CLOUDBASE_ENV_ID", lookup))
        return Access(gateway, base, endpoint.scheme, source, key)

    def _required(self, gateway: Gateway, name: str, lookup) -> str:
        value, _ = lookup(name)
        if not value:
            raise GatewayError(gateway.title, f"{name} is not set",
                               hint=f"Set the environment variable {name}, or add it to the keys "
                                    f"file {self.path}.")
        return value

    # -- for the settings panel: what is set and where from, never the key itself -------------
    def status(self, gateway_id: str) -> dict:
        gateway = GATEWAYS[gateway_id]
        in_file = self.read_file()
        lookup = self._lookup(in_file)

        def entry(name: str, **extra) -> dict:
            value, source = lookup(name)
            return {"name": name, "value": value, "source": source, **extra}

        key, source = lookup(gateway.key_var)
        settings = [entry(name) for name in gateway.settings]
        settings += [entry(e.url_var, default=e.default_url) for e in gateway.endpoints.values()]
        return {"id": gateway.id, "title": gateway.title, "console": gateway.console,
                "key": {"name": gateway.key_var, "set": bool(key), "source": source,
                        "ending": mask(key),
                        "file_overridden": source == "environment" and gateway.key_var in in_file},
                "settings": settings}

    def update(self, gateway_id: str, values: dict) -> None:
        """Write a gateway's key and settings to the keys file; "" removes one, None keeps it.
        Only the gateway's own names are accepted."""
        gateway = GATEWAYS[gateway_id]
        allowed = {gateway.key_var, *gateway.settings,
                   *(e.url_var for e in gateway.endpoints.values())}
        updates = {}
        for name, value in values.items():
            if name not in allowed:
                raise ValueError(f"{name} is not a setting of {gateway.title}; allowed: "
                                 f"{', '.join(sorted(allowed))}.")
            if value is None:
                continue
            value = str(value).strip()
            if len(value) > 2048 or any(ch.isspace() or not ch.isprintable() for ch in value):
                raise ValueError(f"{name}: the value must be one line without spaces.")
            if name.endswith("_BASE_URL") and value and not value.startswith(("http://", "https://")):
                raise ValueError(f"{name}: a base URL starts with http:// or https://.")
            updates[name] = value or None
        if gateway.key_var in updates and updates[gateway.key_var]:
            register_secret(updates[gateway.key_var])
        self.write_file(updates)


def mask(key: str | None) -> str | None:
    """At most the last 4 characters, and only of a key long enough for that to reveal little."""
    return f"…{key[-4:]}" if key and len(key) >= 16 else None
