"""The only module that touches ComfyUI (comfy.*, server, folder_paths). Every access is guarded,
so the pack imports and its tests run without ComfyUI."""
from __future__ import annotations

import functools
import importlib
import logging
import os
from pathlib import Path

from ..providers.credentials import KEYS_FILE_VAR, KeyStore

log = logging.getLogger("model_gateway")


@functools.lru_cache(maxsize=None)
def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


_cancelled_prompts: list[str] = []  # the latest few prompts the user cancelled


def check_interrupted() -> None:
    """Raise ComfyUI's InterruptProcessingException if the user pressed Cancel.

    ComfyUI's flag is taken by the first node that looks at it, but several of this pack's
    nodes wait side by side (coroutines): the one that takes it remembers the prompt, so that
    every other node of that prompt stops too."""
    mm = _module("comfy.model_management")
    if mm is None:
        return
    prompt = current_prompt_id()
    try:
        mm.throw_exception_if_processing_interrupted()
    except mm.InterruptProcessingException:
        if prompt is not None:
            _cancelled_prompts[:] = (_cancelled_prompts + [prompt])[-8:]
        raise
    if prompt is not None and prompt in _cancelled_prompts:
        raise mm.InterruptProcessingException()


def _executing_context():
    utils = _module("comfy_execution.utils")
    return utils.get_executing_context() if hasattr(utils, "get_executing_context") else None


def is_interrupt(error: BaseException) -> bool:
    """Whether this is ComfyUI's Cancel (not a failure)."""
    mm = _module("comfy.model_management")
    kind = getattr(mm, "InterruptProcessingException", None)
    return kind is not None and isinstance(error, kind)


def current_prompt_id() -> str | None:
    """The prompt the running node belongs to (ComfyUI 0.3.45 and later)."""
    return getattr(_executing_context(), "prompt_id", None)


def list_index() -> int:
    """Which item of its list inputs this call of the node is for: ComfyUI runs a node once
    per item of a list (a shot of Shots From LLM Answer) and says which in the executing
    context. 0 for a node that got no list, and outside ComfyUI."""
    index = getattr(_executing_context(), "list_index", None)
    return index if isinstance(index, int) and index > 0 else 0


class _ShotBoard:
    """The calls of one node in one run, one per list item (shot), side by side: what each
    last said, so the node's one status line counts them ("3 of 8 done")."""

    def __init__(self):
        self.lines: dict[int, tuple[str, float]] = {}
        self.ended: dict[int, str] = {}  # index -> "done" | "failed"
        self.latest = 0

    def join(self, index: int) -> None:
        self.lines.setdefault(index, ("", 0.0))

    @property
    def total(self) -> int:
        return len(self.lines)

    def update(self, index: int, text: str, fraction: float, ended: str | None = None):
        self.lines[index] = (text, fraction)
        if ended:
            self.ended[index] = ended
        elif index not in self.ended:
            self.latest = index
        return self.line(verb="done")

    def line(self, verb: str) -> tuple[str, float]:
        done = sum(1 for outcome in self.ended.values() if outcome == "done")
        failed = len(self.ended) - done
        text = f"{done} of {self.total} {verb}" + (f", {failed} failed" if failed else "")
        if len(self.ended) < self.total:
            shown = self.latest if self.latest not in self.ended else next(
                i for i in sorted(self.lines) if i not in self.ended)
            if self.lines[shown][0]:
                text += f" · shot {shown + 1}: {self.lines[shown][0]}"
        fraction = sum(1.0 if i in self.ended else f for i, (_, f) in self.lines.items())
        return text, fraction / max(self.total, 1)


_boards: dict[tuple[str, str], _ShotBoard] = {}  # (prompt, node) -> its shots, the latest few


def shot_board(node_id: str | None) -> tuple[_ShotBoard | None, int]:
    """(the board of this node's shots in the running prompt, this call's shot); no board
    outside a prompt (tests calling a node directly, ComfyUI before 0.3.45)."""
    prompt = current_prompt_id()
    index = list_index()
    if prompt is None or node_id is None:
        return None, index
    key = (prompt, str(node_id))
    board = _boards.get(key)
    if board is None:
        while len(_boards) >= 64:
            _boards.pop(next(iter(_boards)))
        board = _boards[key] = _ShotBoard()
    board.join(index)
    return board, index


MIN_COMFYUI = (0, 3, 45)  # runs a coroutine node side by side with the other ready nodes


def comfyui_too_old() -> str | None:
    """A one-line warning when this ComfyUI cannot run the pack's coroutine nodes."""
    module = _module("comfyui_version")
    version = getattr(module, "__version__", None)
    if not isinstance(version, str):
        return None  # not in ComfyUI, or a build without a version: nothing to say
    try:
        parts = tuple(int(p) for p in version.split(".")[:3])
    except ValueError:
        return None
    if parts >= MIN_COMFYUI:
        return None
    need = ".".join(map(str, MIN_COMFYUI))
    return (f"Model Gateway Nodes needs ComfyUI {need} or newer (this is {version}): its nodes "
            f"wait on the network as coroutines, which older ComfyUI cannot run. Update ComfyUI.")


def show_text(node_id: str | None, text: str) -> None:
    """Show text on the node while it runs (ComfyUI with send_progress_text only)."""
    instance = prompt_server()
    if node_id is None or not hasattr(instance, "send_progress_text"):
        return
    try:
        instance.send_progress_text(text, node_id)
    except Exception as exc:  # the UI is a nicety; never fail a paid call over it
        log.debug("progress text not sent: %s", exc)


def user_directory() -> Path:
    folder_paths = _module("folder_paths")
    if folder_paths is not None and hasattr(folder_paths, "get_user_directory"):
        return Path(folder_paths.get_user_directory())
    return Path.home() / ".config" / "comfyui"


def keys_file() -> Path:
    override = os.environ.get(KEYS_FILE_VAR, "").strip()
    return Path(override) if override else user_directory() / "model_gateway" / "keys.json"


def _sandbox_base_url(gateway_id: str, role: str) -> str:
    """Sandbox mode's base URLs: the emulator's, which is imported (and started) on first use."""
    from ..providers import sandbox
    return sandbox.base_url(gateway_id, role)


def key_store() -> KeyStore:
    return KeyStore(keys_file(), sandbox_base_url=_sandbox_base_url)


def data_directory() -> Path:
    override = os.environ.get("MODEL_GATEWAY_DATA_DIR", "").strip()
    return Path(override) if override else user_directory() / "model_gateway"


def journal():
    """The journal: MODEL_GATEWAY_JOURNAL_URL (a farm's shared database), else the data
    directory's SQLite file; opened once (worker threads ask for it at once)."""
    from ..providers.journal import open_journal
    return open_journal(data_directory())


def journal_problem() -> str | None:
    """What is wrong with the journal's setting, found at load without connecting: the pack
    still loads (ComfyUI shows its nodes) and a run that needs the journal says it again."""
    from ..providers.journal import setting_problem
    return setting_problem(data_directory())


def files_directory() -> Path:
    """Where results are kept: ComfyUI's output folder (it survives restarts; the temp folder
    is emptied at every start)."""
    folder_paths = _module("folder_paths")
    if folder_paths is not None and hasattr(folder_paths, "get_output_directory"):
        return Path(folder_paths.get_output_directory()) / "model_gateway" / "results"
    return data_directory() / "results"


def joined_directory() -> Path:
    """Where Join Video Shots writes its films: beside the kept results, in the output folder."""
    return files_directory().parent / "joined"


def temp_directory() -> Path:
    """ComfyUI's temp folder (emptied at every start), for files needed only while a node runs."""
    folder_paths = _module("folder_paths")
    if folder_paths is not None and hasattr(folder_paths, "get_temp_directory"):
        return Path(folder_paths.get_temp_directory()) / "model_gateway"
    import tempfile
    return Path(tempfile.gettempdir()) / "model_gateway"


class Progress:
    """ComfyUI's progress bar plus a status line on the node, where ComfyUI has them. When
    ComfyUI runs the node once per shot of a list, the line counts the shots ("3 of 8 done ·
    shot 4: running 40%") and the bar shows them all."""

    def __init__(self, node_id: str | None, total: int = 1000, verb: str = "done"):
        self.node_id = node_id
        self.total = total
        self.verb = verb
        self.board, self.index = shot_board(node_id)
        utils = _module("comfy.utils")
        self.bar = None
        if utils is not None and hasattr(utils, "ProgressBar"):
            try:
                self.bar = utils.ProgressBar(total, node_id=node_id)
            except TypeError:  # ComfyUI before 0.3.45 has no node_id argument
                self.bar = utils.ProgressBar(total)

    def __call__(self, text: str, fraction: float, ended: str | None = None) -> None:
        if self.board is not None:
            self.board.update(self.index, text, fraction, ended)
            if self.board.total > 1:
                text, fraction = self.board.line(self.verb)
        if self.bar is not None:
            self.bar.update_absolute(int(max(0.0, min(1.0, fraction)) * self.total), self.total)
        show_text(self.node_id, text)

    def done(self, text: str | None = None) -> None:
        """This call (shot) has its result; `text` (if any) is its last line."""
        if self.board is not None and self.board.total > 1:
            last = self.board.lines.get(self.index, ("", 0.0))[0]
            self(last if text is None else text, 1.0, ended="done")
        elif self.board is not None:
            self.board.update(self.index, text or "", 1.0, "done")
            if text is not None:
                show_text(self.node_id, text)
                if self.bar is not None:
                    self.bar.update_absolute(self.total, self.total)
        elif text is not None:
            self(text, 1.0)

    def clear(self, failed: bool = False) -> None:
        """No stale "in queue" line on a node whose wait was cancelled or failed; a shot that
        failed while others go on is counted as failed on the line instead."""
        if failed and self.board is not None:
            self.board.update(self.index, "", 1.0, "failed")
            if self.board.total > 1:
                self("", 1.0, ended="failed")
                return
        show_text(self.node_id, "")


def preview_entries(paths: list[str]) -> list[dict]:
    """ComfyUI's preview records for files kept in its output folder (none elsewhere)."""
    folder_paths = _module("folder_paths")
    if folder_paths is None or not hasattr(folder_paths, "get_output_directory"):
        return []
    output = Path(folder_paths.get_output_directory()).resolve()
    entries = []
    for path in map(Path, paths):
        try:
            relative = path.resolve().relative_to(output)
        except ValueError:
            continue
        entries.append({"filename": relative.name, "subfolder": str(relative.parent).replace(
            "\\", "/").strip("."), "type": "output"})
    return entries


def video_from_file(path: str):
    """ComfyUI's native VIDEO for a kept file (no re-encode when saved), or None where this
    ComfyUI has no VIDEO type."""
    impl = _module("comfy_api.input_impl")
    factory = getattr(impl, "VideoFromFile", None)
    return factory(path) if factory else None


def executing_context():
    """ComfyUI's context of the node being run or validated (prompt id, node id, list index),
    or None outside one."""
    utils = _module("comfy_execution.utils")
    getter = getattr(utils, "get_executing_context", None)
    return getter() if getter else None


def prompt_server():
    server = _module("server")
    return getattr(getattr(server, "PromptServer", None), "instance", None)
