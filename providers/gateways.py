"""What each gateway is: its name, where its key and base URLs come from, how it authenticates,
and what its errors mean for the user."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    """One base URL of a gateway (SeaCloud has two) and the auth scheme it wants."""
    url_var: str
    default_url: str
    scheme: str | None  # "Bearer", "Key", or None for the bare key


@dataclass(frozen=True)
class Gateway:
    id: str
    title: str
    key_var: str
    endpoints: dict[str, Endpoint]
    console: str
    settings: tuple[str, ...] = ()
    # OpenComputing answers 429 for "insufficient balance": never retry it, say top up.
    balance_429: bool = False

    def endpoint(self, role: str = "main") -> Endpoint:
        return self.endpoints[role]

    def hint(self, status: int | None, code: str | None, message: str | None) -> str:
        text = f"{code or ''} {message or ''}".lower()
        if any(word in text for word in ("balance", "credit", "quota")) or status == 402 or (
                status == 429 and self.balance_429):
            return f"Top up your {self.title} balance ({self.console}), then run again."
        if status in (401, 403) or any(word in text for word in (
                "api_key", "api key", "token", "unauthorized", "invalid_env")):
            return (f"Check the {self.title} key: set {self.key_var} in the environment or in the "
                    f"keys file (see README, 'Keys'). Get one at {self.console}.")
        if status == 429 or "rate" in text or "concurren" in text:
            return "The gateway is rate limiting: wait a little and run again, or run fewer at once."
        if status == 404:
            return "Check the model name and any base URL override."
        if status is not None and status >= 500:
            return f"{self.title} is having trouble; try again in a few minutes."
        if status == 400 or "param" in text or "invalid" in text:
            return "The gateway refused the request's parameters: check the node's inputs."
        return ""


GATEWAYS: dict[str, Gateway] = {g.id: g for g in (
    Gateway(
        id="seacloud", title="SeaCloud", key_var="SEACLOUD_API_KEY",
        endpoints={
            "llm": Endpoint("SEACLOUD_LLM_BASE_URL", "https://cloud.seaart.ai/llm", "Bearer"),
            "model": Endpoint("SEACLOUD_MODEL_BASE_URL", "https://cloud.seaart.ai/model", "Key"),
        },
        console="https://cloud.seaart.ai",
    ),
    Gateway(
        id="gptunnel", title="GPTunnel", key_var="GPTUNNEL_API_KEY",
        endpoints={"main": Endpoint("GPTUNNEL_BASE_URL", "https://gptunnel.ru", None)},
        console="https://gptunnel.ru",
    ),
    Gateway(
        id="cloudbase", title="CloudBase", key_var="CLOUDBASE_API_KEY",
        endpoints={"main": Endpoint("CLOUDBASE_BASE_URL",
                                    "https://{env_id}.api.tcloudbasegateway.com", "Bearer")},
        console="https://tcb.cloud.tencent.com",
        settings=("CLOUDBASE_ENV_ID",),
    ),
    Gateway(
        id="opencomputing", title="OpenComputing", key_var="OPENCOMPUTING_API_KEY",
        endpoints={"main": Endpoint("OPENCOMPUTING_BASE_URL", "https://opencomputing.ai", "Bearer")},
        console="https://ai.opencomputing.cn",
        balance_429=True,
    ),
)}
