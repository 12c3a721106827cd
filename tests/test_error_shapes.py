"""read_error knows every error body listed in PROTOCOLS.md; success bodies are not errors."""
from __future__ import annotations

import pytest

from conftest import submodule

errors = submodule("providers.errors")


@pytest.mark.parametrize("payload, expected", [
    ({"error": "invalid_api_key"}, (None, "invalid_api_key")),
    ({"error": {"message": "Bad", "type": "invalid_request_error", "code": "x"}}, ("x", "Bad")),
    ({"error": {"message": "No money", "type": "insufficient_balance_error"}},
     ("insufficient_balance_error", "No money")),
    ({"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "slow"}, "request_id": "r1"},
     ("RATE_LIMIT_EXCEEDED", "slow")),
    ({"detail": "App not found: x"}, (None, "App not found: x")),
    ({"status": {"code": 402, "message": "Insufficient credits", "error_code": 40203}, "data": None},
     ("40203", "Insufficient credits")),
    ({"code": "EXCEED_TOKEN_QUOTA_LIMIT", "message": "quota"}, ("EXCEED_TOKEN_QUOTA_LIMIT", "quota")),
    ({"code": 3, "issues": [{"path": ["ar"], "expected": "'1:1' | '16:9'", "message": "Invalid enum value"}]},
     ("3", "ar: Invalid enum value")),
    ({"status": "error", "data": {"message": "taskid=1 not exist"}}, (None, "taskid=1 not exist")),
    ({"code": 0, "id": "6876a7a68cc456ab830ab9df", "status": "idle", "url": None}, (None, None)),
    ({"status": "ok", "data": {"status": "RUNNING"}}, (None, None)),
    ({"choices": [], "usage": {}}, (None, None)),
    ("not a dict", (None, None)),
])
def test_read_error(payload, expected):
    assert errors.read_error(payload) == expected
