"""The page's files and its words: what the page ships is current with its sources, and when the
page refuses a run over a saved value the model does not allow, it says what the server says."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import PACK, ROOT

nodes = PACK.NODE_CLASS_MAPPINGS
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
