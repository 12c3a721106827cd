"""Where keys and base URLs come from: the environment first, then the keys file.
Never from the workflow.

Every value is checked when it is read (and when the settings panel writes it): a key is one
line of printable ASCII without spaces or quotes, a base URL is http(s) with a host, the
CloudBase env id is a DNS label. A refusal names the variable and where it came from, never the
value, because a mangled key is still mostly a key. The key goes only to its gateway's origin:
`Access.auth_headers_for(url)` is empty for any URL outside the base URL's scheme, host and
port."""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from .errors import GatewayError, register_secret
from .gateways import GATEWAYS, Gateway

SANDBOX_VAR = "MODEL_GATEWAY_SANDBOX"
KEYS_FILE_VAR = "MODEL_GATEWAY_KEYS_FILE"
SANDBOX_KEY = "sandbox-key"
ENV_ID_VAR = "CLOUDBASE_ENV_ID"
MAX_KEY_LENGTH = 4096
MAX_SETTING_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 1123 host label: the env id becomes ENV_ID.api.tcloudbasegateway.com, so anything else
# (a dot, a slash, a "?" or "@") could move the key to another host.
DNS_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
QUOTES = "\"'`"


def key_problem(key: str) -> str | None:
    """What is wrong with a (stripped) key, in words that show no part of it; None if fine.
    Real keys are printable ASCII: anything else is a paste accident, and requests would put
    the key into its InvalidHeader message or fail with a raw UnicodeEncodeError."""
    if len(key) > MAX_KEY_LENGTH:
        return f"is longer than {MAX_KEY_LENGTH} characters"
    for ch in key:
        if ch in "\r\n":
            return "contains a line break"
        if not ch.isascii():  # a look-alike letter, a no-break space
            return "contains a non-ASCII character"
        if ch.isspace():
            return "contains a space or tab"
        if not ch.isprintable():
            return "contains a control character"
        if ch in QUOTES:
            return "contains a quote character"
    return None


def base_url_problem(url: str) -> str | None:
    """What is wrong with a base URL; None if it is http(s)://host[:port][/path]."""
    if len(url) > MAX_SETTING_LENGTH or any(ch.isspace() or not ch.isprintable()
                                            or not ch.isascii() or ch == "\\" for ch in url):
        return "must be one line of ASCII without spaces"
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        return "is not a usable URL"
    if parts.scheme not in DEFAULT_PORTS or not url.startswith(("http://", "https://")):
        return "must start with http:// or https://"
    try:
        parts.port
    except ValueError:
        return "has a port that is not a number"
    if not parts.hostname:
        return "has no host name"
    if "@" in parts.netloc:
        return "must not hold a user name or password"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "must not have a query (?) or fragment (#)"
    return None


def env_id_problem(env_id: str) -> str | None:
    if DNS_LABEL.fullmatch(env_id):
        return None
    return ("must be a CloudBase environment id: 1 to 63 letters, digits and hyphens, not "
            "starting or ending with a hyphen")


def _line_problem(value: str) -> str | None:
    if len(value) > MAX_SETTING_LENGTH or any(ch.isspace() or not ch.isprintable() for ch in value):
        return "must be one line without spaces"
    return None


def setting_problem(name: str, value: str) -> str | None:
    if name.endswith("_API_KEY"):
        return key_problem(value)
    if name.endswith("_BASE_URL"):
        return base_url_problem(value)
    if name == ENV_ID_VAR:
        return env_id_problem(value)
    return None


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the host lower-cased and the default port filled in, or None
    for a URL whose origin is unclear (no host, bad port, user info, odd characters: parsers
    disagree about those, so no key goes there)."""
    # urlsplit silently drops tabs and line breaks, so look at the whole text first
    if not isinstance(url, str) or any(ch.isspace() or not ch.isprintable() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    if (scheme not in DEFAULT_PORTS or not parts.hostname or "@" in netloc or "\\" in netloc
            or not netloc.isascii()):
        return None
    return scheme, parts.hostname.lower(), port if port is not None else DEFAULT_PORTS[scheme]


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

    @property
    def account(self) -> tuple[str, str, str]:
        """Which account at which endpoint this is, for caches of what a gateway said about it
        (balance, prices): another key or base URL is another account. The key only as a
        digest."""
        return (self.gateway.id, self.base_url, hashlib.sha256(self.key.encode()).hexdigest())

    def auth_headers(self) -> dict[str, str]:
        """The Authorization header for the gateway itself; for any other URL use
        auth_headers_for(url)."""
        value = f"{self.scheme} {self.key}" if self.scheme else self.key
        return {"Authorization": value}

    def same_origin(self, url: str) -> bool:
        """True when url has the base URL's scheme, host and port (https://h and
        https://H:443 are one origin; http://localhost:P and http://127.0.0.1:P are two)."""
        mine = origin(self.base_url)
        return mine is not None and origin(url) == mine

    def auth_headers_for(self, url: str) -> dict[str, str]:
        """The Authorization header if url is on the gateway's own origin, else {}: a URL the
        gateway hands back (status, result file) may point at a storage host."""
        return self.auth_headers() if self.same_origin(url) else {}

    def url(self, path: str) -> str:
        """A path under the base URL; an absolute URL (one the gateway handed back) as is."""
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


class KeyStore:
    """Reads settings from the environment, then from a JSON file of the same names
    (e.g. {"SEACLOUD_API_KEY": "..."}), which is written with mode 0600.

    In sandbox mode every base URL comes from sandbox_base_url(gateway_id, role), given by the
    layer above (nodes/comfy.py passes the emulator's): this module never imports the sandbox."""

    def __init__(self, path: Path,
                 sandbox_base_url: Callable[[str, str], str] | None = None):
        self.path = Path(path)
        self.sandbox_base_url = sandbox_base_url

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

    def where(self, source: str | None) -> str:
        """Where a setting came from, for a message: the environment or the keys file's path."""
        return "the environment" if source == "environment" else f"the keys file {self.path}"

    def access(self, gateway_id: str, role: str = "main") -> Access:
        gateway = GATEWAYS[gateway_id]
        endpoint = gateway.endpoint(role)
        if sandbox_enabled():
            if self.sandbox_base_url is None:
                raise RuntimeError(f"{SANDBOX_VAR} is on, but this KeyStore was made without a "
                                   f"sandbox_base_url")
            return Access(gateway, self.sandbox_base_url(gateway_id, role), endpoint.scheme,
                          "sandbox", SANDBOX_KEY)
        lookup = self._lookup()
        key, source = lookup(gateway.key_var)
        if not key:
            raise GatewayError(
                gateway.title, f"no API key is set ({gateway.key_var})",
                hint=(f"Set the environment variable {gateway.key_var}, or add it to the keys file "
                      f"{self.path} (or set {SANDBOX_VAR}=1 to try the pack against its built-in "
                      f"sandbox)."))
        register_secret(key)  # even a refused one: no message may show it
        self._check(gateway, gateway.key_var, key, source,
                    "Paste the key again, exactly as the gateway's console shows it.")
        base, base_source = lookup(endpoint.url_var)
        if base:
            self._check(gateway, endpoint.url_var, base, base_source,
                        f"Fix the override, or remove it to use {endpoint.default_url}.")
        base = base or endpoint.default_url
        if "{env_id}" in base:
            base = base.replace("{env_id}", self._required(gateway, ENV_ID_VAR, lookup))
        return Access(gateway, base, endpoint.scheme, source, key)

    def _check(self, gateway: Gateway, name: str, value: str, source: str | None,
               hint: str) -> None:
        problem = setting_problem(name, value)
        if problem:
            raise GatewayError(gateway.title, f"{name} (from {self.where(source)}) {problem}",
                               hint=hint)

    def _required(self, gateway: Gateway, name: str, lookup) -> str:
        value, source = lookup(name)
        if not value:
            raise GatewayError(gateway.title, f"{name} is not set",
                               hint=f"Set the environment variable {name}, or add it to the keys "
                                    f"file {self.path}.")
        self._check(gateway, name, value, source,
                    "Copy the environment id from the CloudBase console.")
        return value

    # -- for the settings panel: what is set and where from, never the key itself -------------
    def status(self, gateway_id: str) -> dict:
        gateway = GATEWAYS[gateway_id]
        in_file = self.read_file()
        lookup = self._lookup(in_file)

        def problem(name: str, value: str | None, source: str | None) -> str | None:
            found = value and setting_problem(name, value)
            return f"{name} (from {self.where(source)}) {found}" if found else None

        def entry(name: str, **extra) -> dict:
            value, source = lookup(name)
            return {"name": name, "value": value, "source": source,
                    "problem": problem(name, value, source), **extra}

        key, source = lookup(gateway.key_var)
        if key:
            register_secret(key)
        key_problem_text = problem(gateway.key_var, key, source)
        settings = [entry(name) for name in gateway.settings]
        settings += [entry(e.url_var, default=e.default_url) for e in gateway.endpoints.values()]
        return {"id": gateway.id, "title": gateway.title, "console": gateway.console,
                "key": {"name": gateway.key_var, "set": bool(key), "source": source,
                        "ending": None if key_problem_text else mask(key),
                        "problem": key_problem_text,
                        "file_overridden": source == "environment" and gateway.key_var in in_file},
                "settings": settings}

    def setting_names(self, gateway_id: str) -> set[str]:
        """The names update() accepts for a gateway: its key, its settings, its base URLs."""
        gateway = GATEWAYS[gateway_id]
        return {gateway.key_var, *gateway.settings,
                *(e.url_var for e in gateway.endpoints.values())}

    def update(self, gateway_id: str, values: dict) -> None:
        """Write a gateway's key and settings to the keys file; "" removes one, None keeps it.
        Only the gateway's own names are accepted. A refusal never repeats the value."""
        gateway = GATEWAYS[gateway_id]
        allowed = self.setting_names(gateway_id)
        updates = {}
        for name, value in values.items():
            if name not in allowed:
                # the name itself is shown only if it looks like one: it may be a pasted key
                shown = name if re.fullmatch(r"[A-Z][A-Z0-9_]{0,63}", str(name)) else "a name"
                raise ValueError(f"{shown} is not a setting of {gateway.title}; allowed: "
                                 f"{', '.join(sorted(allowed))}.")
            if value is None:
                continue
            if not isinstance(value, str):
                raise ValueError(f"{name}: the value must be a string.")
            value = value.strip()
            if value and name == gateway.key_var:
                register_secret(value)
            problem = value and (setting_problem(name, value) or _line_problem(value))
            if problem:
                raise ValueError(f"{name} (from the settings panel) {problem}.")
            updates[name] = value or None
        self.write_file(updates)


def mask(key: str | None) -> str | None:
    """At most the last 4 characters, and only of a valid key long enough for that to reveal
    little (the end of a mangled key may be the start of the real one, or another line)."""
    if not key or len(key) < 16 or key_problem(key):
        return None
    return f"…{key[-4:]}"
