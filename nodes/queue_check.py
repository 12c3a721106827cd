"""Budgets refused at queue time, by ComfyUI's own prompt validation, so a prompt posted by a
script is refused as one from the page is — before anything runs or is sent.

ComfyUI validates each node on its own and gives VALIDATE_INPUTS no view of the prompt (linked
inputs are absent, the hidden PROMPT is empty). So the prompt handler, which ComfyUI calls with
the whole posted prompt just before validating it, reads what each paid node's run would cost
against what its gateway's budgets have left, and keeps the verdicts under the prompt's id; each
paid node's VALIDATE_INPUTS, which runs inside that prompt's execution context, answers with its
own. Only the hidden `budget` input (the node's id; nodes/costs.BUDGET_INPUT) is named there, so
ComfyUI still checks every widget, and the page's refusal names the budget.

Each node is checked on its own: the sum of several nodes is enforced where it is exact, when
each create reserves its estimate in the journal before it is sent (providers/budget.py)."""
from __future__ import annotations

import threading
import time
import uuid

from . import comfy
from .costs import paid_runs

KEPT = 120.0  # seconds a prompt's verdicts wait for its validation
_verdicts: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


def verdicts(runs: dict, tables, spent_now: dict) -> dict:
    """{node id: why its run is refused} for the paid nodes whose own estimate would take their
    gateway past a budget or its balance, or that have no known price under a budget."""
    from ..providers import budget

    refused = {}
    for node_id, run in runs.items():
        error = budget.queue_refusal(tables, *run, spent_now)
        if error is not None:
            refused[node_id] = f"{error.message}. {error.hint}"
    return refused


def on_prompt(json_data):
    """ComfyUI's prompt handler: judge the prompt's paid nodes, keep the verdicts for its
    validation. Never stops a prompt itself; a fault here leaves the check to the send."""
    try:
        prompt = json_data.get("prompt") if isinstance(json_data, dict) else None
        runs = paid_runs(prompt) if isinstance(prompt, dict) else {}
        if runs:
            from ..providers import budget
            journal = comfy.journal()
            # ComfyUI calls this on its event loop: cached prices and balances only
            tables = budget.tables(comfy.data_directory(), journal, comfy.key_store(),
                                   asking=budget.CACHED)
            found = verdicts(runs, tables, budget.spent(journal))
            prompt_id = json_data.setdefault("prompt_id", str(uuid.uuid4()))
            keep(str(prompt_id), found)
    except Exception as error:  # noqa: BLE001 — the create's own reservation still holds
        comfy.log.warning("model gateway: budgets not checked at queue time (%s: %s); each "
                          "create is still checked before it is sent", type(error).__name__,
                          error)
    return json_data


def keep(prompt_id: str, found: dict) -> None:
    now = time.monotonic()
    with _lock:
        for old in [k for k, (at, _) in _verdicts.items() if now - at > KEPT]:
            del _verdicts[old]
        _verdicts[prompt_id] = (now, found)


def verdict(prompt_id: str | None, node_id: str | None) -> str | None:
    with _lock:
        kept = _verdicts.get(str(prompt_id))
    return kept[1].get(str(node_id)) if kept else None


def validate_inputs(cls, budget=None):
    """VALIDATE_INPUTS of every paid node: True, or why the budget refuses this node's run.
    `budget` is the hidden input holding the node's id (costs.BUDGET_HIDDEN)."""
    context = comfy.executing_context()
    found = verdict(context.prompt_id if context else None, budget)
    return True if found is None else found


def install(node_classes) -> None:
    """Give each paid node class the queue-time check; register the prompt handler."""
    for cls in node_classes:
        cls.VALIDATE_INPUTS = classmethod(validate_inputs)
    server = comfy.prompt_server()
    if server is not None and hasattr(server, "add_on_prompt_handler"):
        server.add_on_prompt_handler(on_prompt)
