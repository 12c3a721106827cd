"""Writes journal_schema1.sqlite3: a journal made by the pack as released before the shared
journal (schema 1, commit d7a5d24), with real jobs run in its sandbox — an image, a video, a chat
answer — plus a claim left in flight and an outcome left unknown. Kept for the upgrade tests.

    git archive d7a5d24 | tar -x -C /tmp/old
    python3 tests/data/make_journal_schema1.py /tmp/old tests/data/journal_schema1.sqlite3
"""
import os
import shutil
import sys
import tempfile
from pathlib import Path

old, out = Path(sys.argv[1]), Path(sys.argv[2])
data = Path(tempfile.mkdtemp())
os.environ.update(MODEL_GATEWAY_SANDBOX="1", MODEL_GATEWAY_DATA_DIR=str(data),
                  MODEL_GATEWAY_POLL_SCALE="0.05")
sys.path.insert(0, str(old / "tools"))
import pack_loader  # noqa: E402  (the old pack's own loader)

pack = pack_loader.load_pack("old_model_gateway")
nodes = pack_loader.SyncNodes(pack.NODE_CLASS_MAPPINGS)
task = nodes["SeaCloudSubmit"]().submit(model_id="nano_banana_2", prompt="a red kite over dunes",
                                        params_json="{}", seed=5, count=1)[0]
nodes["GatewayAwaitImages"]().wait(task=task, timeout=120)

def defaults(node):
    required = nodes[node].INPUT_TYPES()["required"]
    return {name: spec[1].get("default", spec[0][0] if isinstance(spec[0], list) else None)
            for name, spec in required.items() if len(spec) > 1}


video = nodes["OpenComputingTextToVideo"]().submit(
    **{**defaults("OpenComputingTextToVideo"), "prompt": "a slow pan over a harbour at dawn"})[0]
nodes["OpenComputingLLM"]().chat(**{**defaults("OpenComputingLLM"), "stream": False,
                                    "prompt": "three words about the sea"})
journal = sys.modules["old_model_gateway.nodes.comfy"].journal()
owner = journal.new_owner()
journal.claim_step("5" * 64, owner, 60, "SeaCloud")          # left in flight
other = journal.new_owner()
journal.claim_step("6" * 64, other, 60, "GPTunnel")
journal.mark_unknown("6" * 64, other, "the answer was cut", "Look in the dashboard.")
shutil.copy(data / "journal.sqlite3", out)
print(out, journal.count(), "rows")
