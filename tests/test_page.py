"""The page's files and its words: what the page ships is current with its sources, and when the
page refuses a run over a saved value the model does not allow, it says what the server says."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from conftest import PACK, ROOT, NODES

nodes = NODES
NODE = shutil.which("node")


def test_files_the_page_ships_are_current():
    """web/js/lib/catalog.js, messages.js and web/docs/ are written by tools/make_web.py."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_web.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def page(script: str):
    """The JSON value a module script prints, run by node against the page's own modules."""
    if NODE is None:
        pytest.skip("node is not installed")
    prelude = (f'import * as widgets from "{(ROOT / "web/js/lib/widgets.js").as_uri()}";\n'
               f'import * as format from "{(ROOT / "web/js/lib/format.js").as_uri()}";\n'
               f'import {{ CATALOG }} from "{(ROOT / "web/js/lib/catalog.js").as_uri()}";\n')
    result = subprocess.run([NODE, "--input-type=module", "-e", prelude + script],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


VIDEO = dict(prompt="a paper boat", duration=0, resolution="default", ratio="default",
             size="default", negative_prompt="", off_peak=False, seed=1)
REFUSED = {
    "Seedance 2.0, 3 s": ("OpenComputingTextToVideo", {**VIDEO, "model": "Seedance 2.0 (Doubao)",
                                                      "duration": 3}),
    "1080p on a fast model": ("OpenComputingTextToVideo", {**VIDEO, "resolution": "1080p",
                                                           "model": "Seedance 2.0 fast (Doubao)"}),
    "Wan, 7 s": ("OpenComputingTextToVideo", {**VIDEO, "model": "Wan 2.6 t2v", "duration": 7}),
    "Anthropic temperature 1.5": ("SeaCloudLLM", dict(
        protocol="anthropic_messages", model="claude-sonnet-4-5", prompt="hi", system_prompt="",
        temperature=1.5, top_p=1.0, max_tokens=10, seed=0, stream=False)),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_the_page_refuses_a_saved_value_in_the_servers_words(emulator, case):
    node_type, values = REFUSED[case]
    cls = nodes[node_type]
    with pytest.raises(ValueError) as refused:
        getattr(cls(), cls.FUNCTION)(**values)
    assert emulator.calls() == []  # the server refuses it before any request, too
    shown = page(f"""
        const found = widgets.problems(CATALOG, {json.dumps(node_type)}, {json.dumps(values)});
        console.log(JSON.stringify(found.map((p) => format.problemMessage(p, {json.dumps(cls.NODE_NAME)}))));
    """)
    assert shown == [str(refused.value)]


# -- a folder name ComfyUI cannot serve the page from -------------------------------------------

routes = __import__("conftest").submodule("nodes.routes")
FOLDERS = {"model-gateway-nodes": True, "mg_page": True, "mg.pack(2)": True, "mg+x@1": True,
           "mg pack": False, "модели": False, "模型网关": False, "mg%20": False, "mg#1": False}


@pytest.mark.parametrize("folder, servable", FOLDERS.items(), ids=list(FOLDERS))
def test_the_folder_rule_is_what_aiohttp_serves(tmp_path, folder, servable):
    """The rule in nodes/routes.py against aiohttp's own static route, as ComfyUI adds it for
    the extension's folder (/extensions/<name>) and the browser asks for it (percent-encoded)."""
    import asyncio
    from urllib.parse import quote

    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    (tmp_path / "model_gateway.js").write_text("export {};")

    async def fetch():
        app = web.Application()
        app.add_routes([web.static("/extensions/" + folder, tmp_path)])
        async with TestClient(TestServer(app)) as client:
            return (await client.get(f"/extensions/{quote(folder)}/model_gateway.js")).status

    assert (asyncio.run(fetch()) == 200) is servable
    assert (routes.folder_problem(folder) is None) is servable


def test_an_unservable_folder_is_said_in_one_log_line(monkeypatch, caplog):
    import types
    monkeypatch.setattr(routes.comfy, "prompt_server", lambda: types.SimpleNamespace(
        routes=__import__("aiohttp").web.RouteTableDef()))
    monkeypatch.setattr(routes, "__file__", "/x/custom_nodes/mg pack/nodes/routes.py")
    caplog.set_level("INFO")
    assert routes.register_with_comfyui()
    lines = [r.getMessage() for r in caplog.records if r.name == "model_gateway.routes"]
    assert len(lines) == 1 and "'mg pack'" in lines[0] and "'mg_pack'" in lines[0]
    caplog.clear()
    monkeypatch.setattr(routes, "__file__", "/x/custom_nodes/model-gateway-nodes/nodes/routes.py")
    assert routes.register_with_comfyui()
    assert not [r for r in caplog.records if r.name == "model_gateway.routes"]


# -- the page's words in Chinese and Russian -----------------------------------------------------

def server_status_lines() -> list[str]:
    """Status lines as the server sends them while nodes wait (providers/progress.py, and the
    decoding and Seedream 4 lines of nodes/video.py and nodes/image.py)."""
    from conftest import submodule
    progress = submodule("providers.progress")
    tasks = submodule("providers.tasks")
    Job, State = tasks.Job, tasks.State

    def job(state, **fields):
        return Job("opencomputing", "opencomputing_video", "t1", "f" * 64, "Seedance 2.0 (Doubao)",
                   "video", state=state, **fields)

    singles = [job(State.QUEUED), job(State.QUEUED, queue_position=3), job(State.RUNNING),
               job(State.RUNNING, progress=0.4), job(State.SUCCEEDED), job(State.SUCCEEDED, files=["x"]),
               job(State.FAILED), job(State.CANCELLED), job(State.QUEUED, estimate=180.0)]
    lines = [progress.summarize([j], 62)[0] for j in singles]
    lines.append(progress.summarize([job(State.QUEUED), job(State.RUNNING, progress=0.5),
                                     job(State.SUCCEEDED, files=["x"])], 3725)[0])
    lines += ["decoding: 12 of 100 frames", "100 frames at 24 fps",
              "GPTunnel seedream-4: generating 2 image(s)",
              "another run (process 12 on box) is submitting this same request; waiting for the "
              "gateway's answer to it"]
    return lines


ENGLISH_STATUS = re.compile(r"\b(in queue|position|running|done|downloading|failed|cancelled|of "
                            r"~|decoding|frames|generating|image\(s\)|another run|waiting|process)\b")


@pytest.mark.parametrize("lang", ["zh", "ru"])
def test_status_and_usage_lines_are_translated(lang):
    lines = server_status_lines()
    usages = [{"total_tokens": 1234, "prompt_tokens": 1200, "completion_tokens": 34},
              {"gateway": "gptunnel", "sandbox": True, "tasks": [{"cost": "8"}, {"cost": 8}]},
              {"tasks": [{"credits": 10}], "reused": True}]
    shown = page(f"""
        const i18n = await import("{(ROOT / 'web/js/lib/i18n.js').as_uri()}");
        i18n.setLanguage({json.dumps(lang)});
        console.log(JSON.stringify({{
          status: {json.dumps(lines)}.map(format.statusText),
          usage: {json.dumps(usages)}.map(format.usageLine) }}));
    """)
    script = re.compile(r"[\u4e00-\u9fff]" if lang == "zh" else r"[А-Яа-яЁё]")
    for line, text in zip(lines, shown["status"]):
        assert text != line and script.search(text), (line, text)
        assert not ENGLISH_STATUS.search(text.replace("Seedance 2.0 (Doubao)", "")), (line, text)
    for text in shown["usage"]:
        assert script.search(text) and not re.search(r"\b(tokens|cost|credits|tasks|sandbox|in|out)\b",
                                                     text), text


def test_every_text_the_page_asks_for_exists_in_english():
    english = json.loads((ROOT / "locales/en/page.json").read_text(encoding="utf-8"))

    def has(key):
        node = english
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return isinstance(node, str)

    asked = set()
    for path in (ROOT / "web/js").rglob("*.js"):
        asked |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", path.read_text(encoding="utf-8")))
    assert asked and not [key for key in sorted(asked) if not has(key)]
