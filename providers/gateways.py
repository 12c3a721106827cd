"""What each gateway is: its name, where its key and base URLs come from, how it authenticates,
and what its errors mean for the user: each gateway's own error vocabulary (the codes and
messages its documentation lists, docs/GATEWAYS.md), with the action each one calls for and
whether trying again later can help."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    """One base URL of a gateway (SeaCloud has two) and the auth scheme it wants."""
    url_var: str
    default_url: str
    scheme: str | None  # "Bearer", "Key", or None for the bare key


@dataclass(frozen=True)
class Term:
    """One word of a gateway's error vocabulary. It matches an error whose code is one of
    `codes` (any case), or whose message holds one of `phrases` (lower case). `action` says what
    the user should do ({title}, {console} and {key_var} are filled in). `transient`: trying
    again later can help, so a poll or a list fetch keeps going; a create is never retried for
    it (the journal and http.retry_policy decide that, not the vocabulary). `money`: the
    gateway refused for lack of balance or quota; such a refusal is never sent again, whatever
    its HTTP status (CloudBase's token quota comes as a 429)."""
    codes: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    action: str = ""
    transient: bool = False
    money: bool = False

    def matches(self, code: str | None, message: str | None) -> bool:
        if code is not None and str(code).upper() in self.codes:
            return True
        text = (message or "").lower()
        return any(phrase in text for phrase in self.phrases)


# Actions several gateways share.
TOP_UP = "Top up your {title} balance ({console}), then run again."
CHECK_KEY = ("Check the {title} key: set {key_var} in the environment or in the keys file (see "
             "README, 'Keys'). Get one at {console}.")
SLOW_DOWN = ("{title} is rate limiting: wait a little and run again, or run fewer at once.")
MONEY_WORDS = ("balance", "credit", "quota")  # in an error no vocabulary word matches


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
    vocabulary: tuple[Term, ...] = ()

    def endpoint(self, role: str = "main") -> Endpoint:
        return self.endpoints[role]

    def term(self, code: str | None, message: str | None) -> Term | None:
        """The vocabulary's word for this error: a code match first, then a phrase."""
        by_code = next((t for t in self.vocabulary if t.matches(code, None)), None)
        return by_code or next((t for t in self.vocabulary if t.matches(None, message)), None)

    def transient(self, code: str | None, message: str | None) -> bool | None:
        """Whether the vocabulary says trying again can help; None for a word it lacks."""
        term = self.term(code, message)
        return None if term is None else term.transient

    def out_of_money(self, status: int | None, code: str | None, message: str | None) -> bool:
        """Whether the gateway refused for lack of balance or quota: then the request is never
        sent again (not even after a 429), and the user is told to top up."""
        if status == 402 or (status == 429 and self.balance_429):
            return True
        term = self.term(code, message)
        if term is not None:
            return term.money
        text = f"{code or ''} {message or ''}".lower()
        return any(word in text for word in MONEY_WORDS)

    def hint(self, status: int | None, code: str | None, message: str | None) -> str:
        term = self.term(code, message)
        if term is not None:
            return self._fill(term.action)
        text = f"{code or ''} {message or ''}".lower()
        if self.out_of_money(status, code, message):
            return self._fill(TOP_UP)
        if status in (401, 403) or any(word in text for word in (
                "api_key", "api key", "token", "unauthorized", "invalid_env")):
            return self._fill(CHECK_KEY)
        if status == 429 or "rate" in text or "concurren" in text:
            return "The gateway is rate limiting: wait a little and run again, or run fewer at once."
        if status == 404:
            return "Check the model name and any base URL override."
        if status is not None and status >= 500:
            return f"{self.title} is having trouble; try again in a few minutes."
        if status == 400 or "param" in text or "invalid" in text:
            return "The gateway refused the request's parameters: check the node's inputs."
        return ""

    def _fill(self, action: str) -> str:
        return action.format(title=self.title, console=self.console, key_var=self.key_var)


# -- each gateway's documented error words (sources in docs/GATEWAYS.md) ------------------------

# cloud.seaart.ai/docs model-api/multimodal/errors and model-api/llm/errors.
SEACLOUD_VOCABULARY = (
    Term(codes=("UNAUTHORIZED", "INVALID_API_KEY"),
         phrases=("invalid_api_key", "missing authentication token",
                  "bearer or key token is required"), action=CHECK_KEY),
    Term(codes=("RATE_LIMIT_EXCEEDED", "QUOTA_EXCEEDED", "RATE_LIMIT_ERROR"),
         phrases=("rate limit exceeded",), action=SLOW_DOWN, transient=True),
    Term(codes=("40201", "40202", "40203", "40204", "40205", "40206", "40207", "40208"),
         phrases=("insufficient balance", "insufficient credits"), action=TOP_UP, money=True),
    Term(phrases=("app not found",),
         action="SeaCloud has no model with this id: check model_id (or custom_model_id) "
                "against the model list at {console}."),
    Term(phrases=("model not allowed for this user",),
         action="Your SeaCloud account may not use this model: enable it (or buy access) at "
                "{console}, or pick another model. The key itself was accepted."),
    Term(phrases=("runtime execution failed",),
         action="The model failed on SeaCloud's side: run again in a few minutes (change the "
                "seed if the same request failed before).", transient=True),
    Term(phrases=("request not found",),
         action="SeaCloud does not know this request id (a wrong id, another endpoint, or no "
                "access to it): check the task id; waiting will not help."),
    Term(phrases=("webhook not supported", "sse streaming not supported"),
         action="SeaCloud's queue does not take this option: remove it from params_json."),
)

# docs.cloudbase.net error-code pages (AI_MODEL_*, EXCEED_*), faq ai-429-error-and-token-quota.
CLOUDBASE_VOCABULARY = (
    Term(codes=("AI_MODEL_DISABLED",),
         action="The model is switched off for this environment: enable it in the CloudBase "
                "console (AI, text models) at {console}; if you just enabled it, wait about 2 "
                "minutes and run again.", transient=True),
    Term(codes=("EXCEED_CONCURRENT_REQUEST_LIMIT",),
         action="CloudBase is rate limiting: too many requests at once (5 by default). Wait a "
                "moment and run again, run fewer chat nodes side by side, or ask CloudBase for "
                "a higher limit by ticket.", transient=True),
    Term(codes=("EXCEED_TOKEN_QUOTA_LIMIT",),
         action="Top up your CloudBase balance: the environment's token quota is used up. Buy "
                "resources or switch plans in the console ({console}), or pick a model whose "
                "quota is left.", money=True),
    Term(codes=("EXCEED_REQUEST_LIMIT",),
         action="The environment's call quota is used up: buy more or upgrade the plan in the "
                "CloudBase console ({console}).", money=True),
    Term(codes=("AI_MODEL_NOT_FOUND", "AI_MODEL_NOT_SUPPORTED"),
         action="Check the model: its id must match one enabled in the CloudBase console for "
                "this provider, and images go only to vision models."),
    Term(codes=("AI_MODEL_PARAM_INVALID", "AI_MODEL_PARAM_REQUIRED"),
         action="CloudBase refused a parameter of the request: check the node's inputs (temperature "
                "0-2, top_p 0-1, max_tokens, images) and that the protocol suits the model."),
    Term(codes=("AI_MODEL_CONFIG_MISSING",),
         action="The model's configuration (such as its API key) is incomplete: complete it in "
                "the CloudBase console ({console}), wait a moment, and run again."),
    Term(codes=("INVALID_ACCESS_TOKEN", "ACCESS_TOKEN_EXPIRED"), action=CHECK_KEY),
    Term(codes=("INVALID_ENV",),
         action="Check CLOUDBASE_ENV_ID (the environment id in the CloudBase console) and that "
                "{key_var} belongs to that environment."),
)

# docs.gptunnel.ru media-api "Справочник ошибок" (CreativeLab: HTTP 200 with code != 0) and the
# OpenAI-style errors of its other endpoints.
GPTUNNEL_VOCABULARY = (
    Term(codes=("2", "UNAUTHORIZED_REQUEST_ERROR"), phrases=("invalid token",),
         action=CHECK_KEY),
    Term(codes=("5", "INSUFFICIENT_BALANCE_ERROR"), phrases=("insufficient balance",),
         action=TOP_UP, money=True),
    Term(codes=("3",), phrases=("invalid input",),
         action="GPTunnel refused the request's parameters (listed above): check the node's "
                "inputs."),
    Term(codes=("4",), phrases=("record not found",),
         action="GPTunnel has no task with this id: check the task id."),
    Term(codes=("6",), phrases=("heavy load",),
         action="GPTunnel is under heavy load: try again in a few minutes.", transient=True),
    Term(codes=("7",), phrases=("organization restrict",),
         action="Your GPTunnel organisation may not use this model: ask its administrator, or "
                "pick another model."),
    Term(codes=("99",), phrases=("api method not found",),
         action="GPTunnel does not know this endpoint: check GPTUNNEL_BASE_URL."),
    Term(codes=("1", "500"), phrases=("internal server error", "internal exception"),
         action="GPTunnel had an internal error: try again in a few minutes.", transient=True),
    Term(codes=("1001", "1002"), phrases=("sensitive content", "content safety"),
         action="GPTunnel's safety check refused the prompt or images: change them. Repeated "
                "refusals may get the account restricted."),
)

# OpenComputing's api_zh.md, 错误信息: its three documented errors (and the 403 of a session).
OPENCOMPUTING_VOCABULARY = (
    Term(phrases=("invalid api key", "not logged in"), action=CHECK_KEY),
    Term(phrases=("insufficient balance",),
         action="Top up your OpenComputing balance at {console} (Alipay), then run again: its "
                "429 means an insufficient balance, not a rate limit.", money=True),
    Term(phrases=("missing required parameter",),
         action="OpenComputing refused the request's parameters: one it requires is missing "
                "(named above); check the node's inputs."),
    Term(phrases=("not exist",),
         action="OpenComputing does not know this task id: check it; waiting will not help."),
)


GATEWAYS: dict[str, Gateway] = {g.id: g for g in (
    Gateway(
        id="seacloud", title="SeaCloud", key_var="SEACLOUD_API_KEY",
        endpoints={
            "llm": Endpoint("SEACLOUD_LLM_BASE_URL", "https://cloud.seaart.ai/llm", "Bearer"),
            "model": Endpoint("SEACLOUD_MODEL_BASE_URL", "https://cloud.seaart.ai/model", "Key"),
        },
        console="https://cloud.seaart.ai",
        vocabulary=SEACLOUD_VOCABULARY,
    ),
    Gateway(
        id="gptunnel", title="GPTunnel", key_var="GPTUNNEL_API_KEY",
        endpoints={"main": Endpoint("GPTUNNEL_BASE_URL", "https://gptunnel.ru", None)},
        console="https://gptunnel.ru",
        vocabulary=GPTUNNEL_VOCABULARY,
    ),
    Gateway(
        id="cloudbase", title="CloudBase", key_var="CLOUDBASE_API_KEY",
        endpoints={"main": Endpoint("CLOUDBASE_BASE_URL",
                                    "https://{env_id}.api.tcloudbasegateway.com", "Bearer")},
        console="https://tcb.cloud.tencent.com",
        settings=("CLOUDBASE_ENV_ID",),
        vocabulary=CLOUDBASE_VOCABULARY,
    ),
    Gateway(
        id="opencomputing", title="OpenComputing", key_var="OPENCOMPUTING_API_KEY",
        endpoints={"main": Endpoint("OPENCOMPUTING_BASE_URL", "https://opencomputing.ai", "Bearer")},
        console="https://ai.opencomputing.cn",
        balance_429=True,
        vocabulary=OPENCOMPUTING_VOCABULARY,
    ),
)}
