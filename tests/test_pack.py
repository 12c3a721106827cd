"""The pack as ComfyUI sees it: a folder of any name, imported without ComfyUI or network."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import ROOT

IMPORT_UNDER_ANY_NAME = textwrap.dedent(f"""
    import importlib.util, json, sys
    import torch  # ComfyUI has it loaded before any custom node
    before = set(sys.modules)
    spec = importlib.util.spec_from_file_location(
        "My Folder-Name_x_v2", {str(ROOT / "__init__.py")!r},
        submodule_search_locations=[{str(ROOT)!r}])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    loaded = sorted(set(sys.modules) - before)
    print(json.dumps({{
        "nodes": sorted(module.NODE_CLASS_MAPPINGS),
        "names": module.NODE_DISPLAY_NAME_MAPPINGS,
        "web": module.WEB_DIRECTORY,
        "heavy": [m for m in loaded if m.split(".")[0] in
                  ("requests", "urllib3", "PIL", "av", "comfy", "server", "folder_paths", "nodes")],
    }}))
""")


def test_imports_under_any_folder_name_without_comfyui_or_heavy_modules():
    result = subprocess.run([sys.executable, "-c", IMPORT_UNDER_ANY_NAME], capture_output=True,
                            text=True, cwd="/", timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["nodes"] == [
        "CloudBaseLLM", "GPTunnelMediaSubmit", "GPTunnelSeedream3Submit", "GPTunnelSeedream4",
        "GatewayAwaitImages",
        "GatewayAwaitVideo", "GatewayJoinVideos", "GatewayShotsFromText", "GatewayShotsPrompt",
        "GatewayTaskFromId", "OpenComputingImageToVideo", "OpenComputingLLM",
        "OpenComputingReferenceToVideo", "OpenComputingTextToVideo", "SeaCloudLLM",
        "SeaCloudSubmit"]
    assert report["names"]["SeaCloudLLM"] == "SeaCloud LLM"
    assert report["web"] == "./web"
    assert report["heavy"] == [], "imported at load time; import it where it is used"


def test_no_absolute_imports_of_the_pack_itself():
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "benchmarks" in path.parts:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            assert not stripped.startswith(("import nodes", "from nodes", "import providers",
                                            "from providers")), f"{path}: {line}"


def test_pyproject_is_ready_for_the_registry():
    import re
    import tomllib
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project, comfy = data["project"], data["tool"]["comfy"]
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9._-]{0,98}", project["name"])
    assert "comfyui" not in project["name"].lower()
    assert re.fullmatch(r"\d+\.\d+\.\d+", project["version"])
    assert project["description"] and project["license"] == {"file": "LICENSE"}
    assert project["urls"]["Repository"].startswith("https://github.com/")
    assert comfy["PublisherId"] and comfy["DisplayName"] and comfy["Icon"].startswith("https://")
    # dependencies come from requirements.txt, which never names torch
    assert project["dynamic"] == ["dependencies"]
    requirements = (ROOT / "requirements.txt").read_text()
    assert not re.search(r"^torch", requirements, re.M)
