"""What one run of each paid node uses, read from its widget values: the gateway, the model
(by every name a price may be given under) and the counted things a price multiplies
(providers/money.Usage). One reading for the estimate route and the queue-time check."""
from __future__ import annotations

import contextvars
import functools

from ..providers import catalog
from ..providers.catalog import OPERATION_CATALOGS, price_key
from ..providers.money import Usage


def _int(value, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def _text(value) -> str:
    """A text widget's value; anything else is the node's own validation's to refuse."""
    return value.strip() if isinstance(value, str) else ""


def _count(inputs: dict) -> int:
    return _int(inputs.get("count"), 1)


def _chat(gateway: str):
    def read(inputs: dict):
        model = _text(inputs.get("custom_model")) or inputs.get("model")
        if not model:
            return None
        # the answer's length is at most max_tokens: the estimate is the most it can cost
        usage = Usage(runs=1, output_tokens=_int(inputs.get("max_tokens"), 1024),
                      input_tokens=len(str(inputs.get("prompt") or "")) // 3 + len(
                          str(inputs.get("system_prompt") or "")) // 3)
        usage.parameters = {"max_tokens": usage.output_tokens}
        names = (str(model),)
        if gateway == "opencomputing":
            names += (price_key("t2t", str(model)),)
        return gateway, names, usage
    return read


def _video(operation: str):
    def read(inputs: dict):
        name = _text(inputs.get("custom_model")) or inputs.get("model")
        if not name:
            return None
        row = catalog.video_model(operation, name)
        seconds = _int(inputs.get("duration"), 0) or (row.duration if row else 0)
        names = tuple(n for n in (name, row and row.llmid, row and row.model) if n) + (
            price_key(OPERATION_CATALOGS[operation], row.listed_name if row else str(name)),)
        resolution = inputs.get("resolution")
        if resolution in (None, "", "default"):  # nothing sent: the gateway's default is billed
            resolution = row.resolution if row else None
        usage = Usage(runs=1, seconds=seconds, parameters={
            "duration": seconds, "resolution": resolution})
        return "opencomputing", names, usage
    return read


def _images(gateway: str, model_input: str | None, fixed: str | None = None, video=()):
    def read(inputs: dict):
        model = fixed or _text(inputs.get("custom_model_id")) or inputs.get(model_input)
        if not model:
            return None
        count = _count(inputs)
        is_video = any(str(model).startswith(prefix) for prefix in video)
        usage = Usage(runs=count, images=0 if is_video else count,
                      parameters={k: inputs.get(k) for k in ("size", "ar", "aspect_ratio")
                                  if k in inputs})
        return gateway, (str(model),), usage
    return read


READERS = {
    "SeaCloudLLM": _chat("seacloud"),
    "CloudBaseLLM": _chat("cloudbase"),
    "OpenComputingLLM": _chat("opencomputing"),
    "SeaCloudSubmit": _images("seacloud", "model_id"),
    "GPTunnelSeedream3Submit": _images("gptunnel", None, fixed="seedream-3"),
    "GPTunnelSeedream4": _images("gptunnel", None, fixed="seedream-4"),
    "GPTunnelMediaSubmit": _images("gptunnel", "model", video=("seedance", "glabs-veo")),
    "OpenComputingTextToVideo": _video("t2v"),
    "OpenComputingImageToVideo": _video("i2v"),
    "OpenComputingReferenceToVideo": _video("r2v"),
}
PAID_NODES = sorted(READERS)


def run_of(class_type: str, inputs: dict):
    """(gateway, model names, Usage) of one run of a node, or None for an unpaid/unknown one."""
    reader = READERS.get(class_type)
    if reader is None or not isinstance(inputs, dict):
        return None
    return reader(inputs)


def paid_runs(nodes: dict) -> dict:
    """{node id: (gateway, names, Usage)} of the paid nodes of a prompt or workflow (API
    format: {id: {"class_type", "inputs"}})."""
    runs = {}
    for node_id, node in nodes.items():
        if isinstance(node, dict):
            run = run_of(node.get("class_type"), node.get("inputs") or {})
            if run is not None:
                runs[str(node_id)] = run
    return runs


_running = contextvars.ContextVar("model_gateway_paid_run", default=None)

# The hidden input a paid node's queue-time budget check names (nodes/queue_check.py): ComfyUI
# calls VALIDATE_INPUTS only when it names an input, and shows its refusal as "<input> - <why>"
# (1.27's dialog) or "<node> rejected the value for <input>" (newer toasts). Named `budget`, the
# page says what refused the run; `unique_id` said nothing. It holds the node's id.
BUDGET_INPUT = "budget"
BUDGET_HIDDEN = {BUDGET_INPUT: "UNIQUE_ID"}


def billed(method):
    """Mark a paid node's function: while it runs, current_run() is what this run uses (read
    from its inputs as ComfyUI passed them), for the budget check before each create. ComfyUI
    runs each list item in a task of its own, so each item sees its own run. The hidden
    `budget` input is the queue check's, not the node's."""
    @functools.wraps(method)
    async def run(self, **inputs):
        inputs.pop(BUDGET_INPUT, None)
        try:
            reading = run_of(type(self).__name__, inputs)
        except (TypeError, ValueError, AttributeError):
            reading = None  # inputs the node's own validation refuses before any create
        token = _running.set(reading)
        try:
            return await method(self, **inputs)
        finally:
            _running.reset(token)
    return run


def current_run():
    """(gateway, model names, Usage) of the paid node running in this task, or None."""
    return _running.get()
