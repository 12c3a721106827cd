"""Task nodes: wait for any gateway's task, or pick one up by its id; and the shared way submit
nodes start jobs through the journal."""
from __future__ import annotations

import json
import time

from ..providers.gateways import GATEWAYS
from . import comfy

TASK = "GATEWAY_TASK"
from ..providers.tasks import SEED_MAX  # noqa: F401  (re-exported for the node modules)
IMAGE_TIMEOUT = 600


# Submit nodes run again when a job they handed out failed: ComfyUI would otherwise hand the
# await node the failed task from its cache. Running again sends only what failed (the journal
# reuses every other job), so one failed shot of a film is the only one paid again.
_failures: dict[str, int] = {}  # submit node id -> how often a job it handed out failed
_made_by: dict[str, str] = {}   # job fingerprint -> the submit node that handed it out
_MADE_BY_KEPT = 4096


def _handed_out(node_id, jobs) -> None:
    if node_id is None:
        return
    for job in jobs:
        _made_by.pop(job.fingerprint, None)
        _made_by[job.fingerprint] = str(node_id)
    while len(_made_by) > _MADE_BY_KEPT:
        _made_by.pop(next(iter(_made_by)))


def _failed(node_id) -> None:
    if node_id is not None:
        _failures[str(node_id)] = _failures.get(str(node_id), 0) + 1


def submit_again_after_failure(task) -> None:
    """A job of this task failed (or its submit did): its submit node runs again next time."""
    for node_id in {_made_by.get(job.fingerprint) for job in getattr(task, "jobs", [])}:
        _failed(node_id)


class TaskNode:
    """A node whose output is a task for an await node."""
    RETURN_TYPES = (TASK,)
    RETURN_NAMES = ("task",)
    OUTPUT_TOOLTIPS = ("The job(s), for Gateway Await Images or Gateway Await Video.",)
    CATEGORY = "model_gateway/tasks"

    @classmethod
    def IS_CHANGED(cls, unique_id=None, **_inputs):
        return _failures.get(str(unique_id), 0)


def shot(unique_id) -> int:
    """This call's shot when ComfyUI runs the node once per item of a list (0 otherwise); it
    counts the node's shots on its status line. Call it before the node's first await, so
    every shot is counted before any is sent."""
    return comfy.shot_board(unique_id)[1]


def shot_seed(seed: int, unique_id) -> int:
    """The seed this shot sends and is journalled under (see providers/shots.shot_seed)."""
    from ..providers.shots import shot_seed as derive
    return derive(seed, shot(unique_id))


def seed_input(what: str) -> tuple:
    return ("INT", {"default": 0, "min": 0, "max": SEED_MAX, "control_after_generate": True,
                    "tooltip": f"Part of the request's identity: the same inputs and seed reuse "
                               f"the {what} already paid for (even after a restart); a new seed "
                               f"asks for a new one."})


def count_input() -> tuple:
    from ..providers.catalog import MAX_JOBS_PER_NODE
    return ("INT", {"default": 1, "min": 1, "max": MAX_JOBS_PER_NODE, "tooltip":
                    "How many to generate. They run at the same time on the gateway and are "
                    "awaited together."})


def _tagged(create, unique_id):
    """The create, its jobs marked with the run (ComfyUI prompt) and shot that made them, for
    the Tasks panel to show a run's shots together."""
    import dataclasses

    run = comfy.current_prompt_id() or ""
    board, index = comfy.shot_board(unique_id)
    in_list = board is not None and board.total > 1 or index > 0

    def send(job_index: int, fp: str):
        job = create.send(job_index, fp)
        job.run, job.shot = run, index if in_list else None
        job.shots = board.total if in_list and board is not None else 0  # all counted by now
        return job

    return dataclasses.replace(create, send=send)


async def start_jobs(create, count: int = 1, unique_id=None) -> list:
    """Start `count` jobs of a request through the journal (each sent at most once, ever, and
    only within the budgets); a wait for another run submitting the same request is said on the
    node."""
    from ..providers import budget, lifecycle, waiting
    from .costs import current_run

    def say_waiting(text: str) -> None:
        comfy.log.info("%s", text)
        comfy.show_text(unique_id, text)

    journal = comfy.journal()
    run = current_run()
    spending = None
    if run is not None:  # the tables and history prices are read off the event loop
        gateway, names, usage = run
        spending = await waiting.in_thread_until_done(lambda: budget.spending(
            budget.tables(comfy.data_directory(), journal, comfy.key_store(),
                          asking=budget.ASK_IF_BUDGETED), gateway, names, usage),
            comfy.check_interrupted)
    return await lifecycle.start(journal, _tagged(create, unique_id), count,
                                 check_cancelled=comfy.check_interrupted, on_wait=say_waiting,
                                 spending=spending)


async def start_task(create, count: int = 1, unique_id=None):
    """The task of a submit node. When ComfyUI runs the node once per shot and this shot's
    submit fails, the failure goes to this shot's await node instead, so the other shots are
    awaited and kept in the same run; the next run submits this one again."""
    from ..providers.errors import GatewayError
    from ..providers.tasks import Task

    asked_at = time.time()
    show = comfy.Progress(unique_id, verb="submitted")
    try:
        jobs = await start_jobs(create, count, unique_id)
    except GatewayError as error:
        if show.board is None or show.board.total < 2:
            raise
        _failed(unique_id)
        show("", 1.0, ended="failed")
        return Task([], asked_at=asked_at, error=_in_shot(error, show))
    _handed_out(unique_id, jobs)
    if show.board is not None and show.board.total > 1:
        show.done("")
    return Task(jobs, asked_at=asked_at)


def usage_json(jobs, asked_at: float = 0.0) -> str:
    """The usage output: each job's usage as its gateway reported it, and `"reused": true` on
    a job an earlier run made (journalled before `asked_at`), also at the top when all were."""
    from ..providers.credentials import sandbox_enabled

    tasks = []
    for job in jobs:
        entry = {"task_id": job.task_id, "model": job.label, **job.usage}
        if job.created_at < asked_at:
            entry["reused"] = True
        tasks.append(entry)
    usage = {"gateway": jobs[0].gateway, "tasks": tasks}
    if all(entry.get("reused") for entry in tasks):
        usage["reused"] = True
    if sandbox_enabled():
        usage["sandbox"] = True
    return json.dumps(usage, ensure_ascii=False)


async def await_task(task, *, node: str, expect: str, timeout: float, unique_id):
    """Wait for the task's jobs with progress on the node, its clock ticking every second;
    returns the finished jobs. The status line is cleared when the wait ends badly."""
    from ..providers import poller, progress
    from ..providers.errors import GatewayError

    show = comfy.Progress(unique_id)
    if getattr(task, "error", None) is not None:  # this shot's submit failed, the others' not
        show.clear(failed=True)
        raise _in_shot(task.error, show)
    if task is None or not getattr(task, "jobs", None):
        raise ValueError(f"{node}: task is empty: connect a submit node's task output.")
    wrong = [job for job in task.jobs if job.kind not in (expect, "any")]
    if wrong:
        other = "Gateway Await Video" if wrong[0].kind == "video" else "Gateway Await Images"
        raise ValueError(f"{node}: task makes a {wrong[0].kind} ({wrong[0].label}); connect it "
                         f"to {other} instead.")

    def report(jobs, elapsed):
        show(*progress.summarize(jobs, elapsed))

    try:
        return await poller.await_jobs(task.jobs, kind=expect, store=comfy.key_store(),
                                       journal=comfy.journal(), files_dir=comfy.files_directory(),
                                       timeout=timeout, check_cancelled=comfy.check_interrupted,
                                       report=report)
    except GatewayError as error:
        submit_again_after_failure(task)
        show.clear(failed=True)
        raise _in_shot(error, show) from None
    except BaseException:
        show.clear()
        raise


def _in_shot(error, show):
    """The error, naming its shot when the node runs over several ("shot 3 of 8: …")."""
    from ..providers.errors import GatewayError

    if show.board is None or show.board.total < 2 or not isinstance(error, GatewayError) \
            or getattr(error, "shot", None) is not None:
        return error
    named = GatewayError(error.gateway, error.message, status=error.status, code=error.code,
                         request_id=error.request_id, hint=error.hint, raw=error.raw,
                         maybe_accepted=error.maybe_accepted, transient=error.transient)
    named.shot = show.index
    named.args = (f"shot {show.index + 1} of {show.board.total}: {named.args[0]}",)
    return named


class GatewayAwaitImages:
    NODE_NAME = "Gateway Await Images"
    DESCRIPTION = ("Waits for an image task from any gateway, with progress on the node, and "
                   "downloads the results at once (result links expire). Interrupting cancels "
                   "SeaCloud tasks; other gateways' tasks are kept and resumed by the next run.")
    CATEGORY = "model_gateway/image"
    RETURN_TYPES = ("IMAGE", "STRING", "STRING")
    RETURN_NAMES = ("images", "urls", "usage")
    OUTPUT_TOOLTIPS = ("The generated images as one batch (other sizes resized to the first's).",
                       "The gateway's result links, one a line (they expire).",
                       "JSON: gateway, task ids, and cost/credits/metrics where the gateway says.")
    FUNCTION = "wait"
    OUTPUT_NODE = True

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "task": (TASK, {"tooltip": "A task from a submit node or Gateway Task From Id."}),
            "timeout": ("INT", {"default": IMAGE_TIMEOUT, "min": 10, "max": 86400, "step": 10,
                                "tooltip": "Seconds to wait before giving up. The task is kept: "
                                           "running again keeps waiting without paying again."}),
        }, "hidden": {"unique_id": "UNIQUE_ID"}}

    async def wait(self, task, timeout, unique_id=None):
        from ..providers import validation, waiting
        from . import media

        validation.check_widgets(self.NODE_NAME, self.INPUT_TYPES(), locals(),
                                 low={"timeout": 1})
        jobs = await await_task(task, node=self.NODE_NAME, expect="image", timeout=timeout,
                                unique_id=unique_id)
        paths = [path for job in jobs for path in job.files]
        images = await waiting.in_thread(lambda: media.load_job_images(jobs, node=self.NODE_NAME))
        blank = [i + 1 for i in range(images.shape[0]) if float(images[i].max()) == 0.0]
        if blank:
            from ..providers.errors import GatewayError
            raise GatewayError(GATEWAYS[jobs[0].gateway].title,
                               f"returned a blank (all black) image ({len(blank)} of "
                               f"{images.shape[0]}); kept at {paths[blank[0] - 1]}",
                               hint="Gateways send black images when a safety filter refused "
                                    "the prompt or image: rephrase it and change the seed.")
        urls = "\n".join(url for job in jobs for url in job.result_urls)
        usage = usage_json(jobs, task.asked_at)
        comfy.Progress(unique_id).done()
        return {"ui": {"images": comfy.preview_entries(paths), "usage": [usage]},
                "result": (images, urls, usage)}


class GatewayTaskFromId(TaskNode):
    NODE_NAME = "Gateway Task From Id"
    DESCRIPTION = ("A task from its gateway id: fetch a job submitted elsewhere, before a "
                   "restart, or one that took longer than the timeout.")
    FUNCTION = "task"
    GATEWAYS_WITH_TASKS = ("seacloud", "gptunnel", "opencomputing")

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "gateway": (list(cls.GATEWAYS_WITH_TASKS), {"tooltip": "The gateway that runs the task."}),
            "task_id": ("STRING", {"default": "", "tooltip":
                                   "The task's id: SeaCloud's request_id, GPTunnel's 24-character "
                                   "id. Shown in every usage output and timeout message."}),
            "kind": (["image", "video"], {"default": "image", "tooltip": "What the task makes."}),
        }}

    async def task(self, gateway, task_id, kind):
        from ..providers import poller, validation, waiting
        from ..providers.lifecycle import endpoint_identity, fingerprint
        from ..providers.tasks import Task

        validation.check_widgets(self.NODE_NAME, self.INPUT_TYPES(), locals())
        validation.check_choice(self.NODE_NAME, "gateway", gateway, self.GATEWAYS_WITH_TASKS)
        task_id = validation.check_task_id(self.NODE_NAME, task_id, gateway)
        fp = fingerprint({"from_id": gateway, "task_id": task_id,
                          "endpoint": endpoint_identity()})

        def pick_up():
            journal = comfy.journal()
            job = journal.get(fp)
            if job is None:
                operation = next(op for op, module in poller.OPERATIONS.items()
                                 if module == gateway)
                job = poller.adapter(operation).task(comfy.key_store(), task_id, kind, fp)
                job.by_id = True
                journal.save(job)
            return job

        return (Task([await waiting.in_thread(pick_up)]),)


NODES = (GatewayAwaitImages, GatewayTaskFromId)
