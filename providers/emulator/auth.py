"""Each gateway's auth header form, and the error it sends when the key is missing or wrong."""
from __future__ import annotations

from .routing import Reply

_REFUSALS = {
    "seacloud_llm": (Reply(401, json={"error": "missing token"}),
                     Reply(403, json={"error": "invalid_api_key"})),
    "seacloud_model": (Reply(401, json={"error": {"code": "UNAUTHORIZED", "message": "Missing API key"},
                                        "request_id": None}),
                       Reply(401, json={"error": {"code": "UNAUTHORIZED", "message": "Invalid API key"},
                                        "request_id": None})),
    "gptunnel": (Reply(401, json={"error": {"message": "Authorization required",
                                            "type": "unauthorized_request_error"}}),
                 Reply(401, json={"error": {"message": "Invalid API key",
                                            "type": "unauthorized_request_error"}})),
    "cloudbase": (Reply(401, json={"code": "INVALID_ACCESS_TOKEN", "message": "access token is missing"}),
                  Reply(401, json={"code": "INVALID_ACCESS_TOKEN", "message": "access token is invalid"})),
    "opencomputing": (Reply(403, json={"error": "Not logged in"}),
                      Reply(401, json={"error": "Invalid API Key"})),
}


def check(gateway: str, path: str, header: str, expected: str | None) -> Reply | None:
    """None when the header is in the gateway's form (and holds the expected key, if one is set)."""
    if gateway == "seacloud":
        kind = "seacloud_model" if path.startswith("/model") else "seacloud_llm"
        schemes = ("Key", "Bearer") if kind == "seacloud_model" else ("Bearer",)
    else:
        kind = gateway
        schemes = (None,) if gateway == "gptunnel" else ("Bearer",)
    missing, wrong = _REFUSALS[kind]
    if not header.strip():
        return missing
    for scheme in schemes:
        if scheme is None:
            key = header if " " not in header.strip() else None
        else:
            key = header[len(scheme) + 1:] if header.startswith(scheme + " ") else None
        if key and (expected is None or key == expected):
            return None
    return wrong
