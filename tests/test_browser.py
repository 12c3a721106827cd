"""The page in a real ComfyUI and headless Chromium (tools/browser_check.py): run only where a
ComfyUI folder is given in COMFYUI_DIR (../shared/comfyui/setup.sh builds one, with the newest
frontend beside the bundled one). It starts ComfyUI and Chromium on 127.0.0.1 and takes minutes;
screenshots go to MODEL_GATEWAY_SHOTS, or a temporary folder."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT

COMFYUI_DIR = os.environ.get("COMFYUI_DIR", "").strip()


@pytest.mark.skipif(not COMFYUI_DIR, reason="set COMFYUI_DIR to a ComfyUI folder to run the "
                                            "real-browser check")
def test_the_page_in_a_real_comfyui_and_chromium(tmp_path):
    out = os.environ.get("MODEL_GATEWAY_SHOTS") or str(tmp_path / "shots")
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "browser_check.py"),
                             "--comfyui", COMFYUI_DIR, "--out", out],
                            capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
