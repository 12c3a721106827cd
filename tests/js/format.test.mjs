import { test } from "node:test";
import assert from "node:assert/strict";
import { keyState, settingsNote, usageLine } from "../../web/js/lib/format.js";

test("LLM usage", () => {
  const usage = JSON.stringify({ gateway: "seacloud", model: "gpt-4.1", prompt_tokens: 1200,
    completion_tokens: 34, total_tokens: 1234 });
  assert.equal(usageLine(usage), "1,234 tokens · 1,200 in / 34 out");
});

test("task usage sums cost and credits and says sandbox", () => {
  const usage = { gateway: "gptunnel", sandbox: true,
    tasks: [{ task_id: "a", cost: "8" }, { task_id: "b", cost: "8" }] };
  assert.equal(usageLine(usage), "cost 16 · 2 tasks · sandbox");
  assert.equal(usageLine({ tasks: [{ credits: 10 }] }), "credits 10");
});

test("a task an earlier run paid for says so, for all or some of them", () => {
  assert.equal(usageLine({ reused: true, tasks: [{ cost: "8", reused: true }] }), "cost 8 · reused, not paid again");
  assert.equal(usageLine({ tasks: [{ cost: "8", reused: true }, { cost: "8" }] }),
    "cost 16 · 2 tasks · 1 of them reused, not paid again");
});

test("bad usage gives no line", () => {
  assert.equal(usageLine("{not json"), "");
  assert.equal(usageLine(null), "");
});

test("key states never show more than the ending", () => {
  assert.deepEqual(keyState({ key: { name: "SEACLOUD_API_KEY", set: false } }),
    { level: "missing", text: "not set — paste a key below, or set SEACLOUD_API_KEY" });
  assert.equal(keyState({ key: { name: "X", set: true, source: "keys file", ending: "…abcd" } }).text,
    "set in the keys file (…abcd)");
  assert.equal(keyState({ key: { name: "X", set: true, source: "environment", ending: null,
    file_overridden: true } }).text,
    "set in the environment variable X; the environment variable overrides the keys file");
});

test("a refused key says why, and shows no ending", () => {
  const problem = "SEACLOUD_API_KEY (from the environment) contains a line break";
  assert.deepEqual(keyState({ key: { name: "SEACLOUD_API_KEY", set: true, source: "environment",
    ending: null, problem } }), { level: "bad", text: `refused — ${problem}` });
});

test("settings are read-only, with a note, when the server does not take them from this browser", () => {
  assert.equal(settingsNote({ settings_writable: true, keys_file: "/k.json" }), null);
  const note = settingsNote({ settings_writable: false, keys_file: "/u/keys.json" });
  assert.match(note, /CLOUDBASE_ENV_ID/);
  assert.match(note, /\/u\/keys\.json/);
});

import { statusText, problemMessage, problemMark, jobLine, spendLine, clock } from "../../web/js/lib/format.js";

test("in sandbox mode a missing key is not asked for", () => {
  assert.deepEqual(keyState({ key: { name: "X", set: false } }, true), { level: "mg-note", text: "not needed in sandbox mode" });
});

test("status lines the server sends are recognised whole (English stays English)", () => {
  for (const line of [
    "OpenComputing Seedance 2.0 (Doubao): in queue · 0:00 of ~3:00",
    "OpenComputing Seedance 2.0 (Doubao): in queue, position 3 · 0:12",
    "SeaCloud nano_banana_2: running 40% · 1:02:03 of ~3:00",
    "decoding: 12 of 100 frames", "100 frames at 24 fps", "GPTunnel seedream-4: generating 2 image(s)",
    "another run (process 12 on box) is submitting this same request; waiting for the gateway's answer to it",
    "an answer the model streams: nothing to translate",
  ]) assert.equal(statusText(line), line);
  // the server counts jobs by their status's first word ("1 in"): the page says it whole
  assert.equal(statusText("GPTunnel seedream-3: 1 in, 2 running (of 3) · 0:05"),
    "GPTunnel seedream-3: 1 in queue, 2 running (of 3) · 0:05");
});

test("job lines and spending of the Tasks panel", () => {
  assert.equal(clock(62), "1:02");
  assert.equal(clock(3723), "1:02:03");
  assert.equal(jobLine({ state: "running", progress: 0.4, created_at: 100, updated_at: 120, estimate: 180 }, 162),
    "running 40% · 1:02 of ~3:00");
  assert.equal(jobLine({ state: "succeeded", created_at: 100, updated_at: 130 }, 999), "done · 0:30");
  assert.equal(spendLine({ cost: 16, total_tokens: 1234 }), "cost 16 · 1,234 tokens");
  assert.equal(spendLine({}), "nothing reported");
});

test("a reference image the model takes none of: disconnect the socket, clear the URL", async () => {
  const { problemMark } = await import("../../web/js/lib/format.js");
  assert.match(problemMark({ kind: "images", field: "image", model: "google-imagen-3" }), /disconnect image/);
  assert.match(problemMark({ kind: "images", field: "image_url", model: "google-imagen-3" }), /clear image_url/);
});

test("a run's shots are listed together, in shot order; other jobs stay in place", async () => {
  const { byRun } = await import("../../web/js/lib/format.js");
  const jobs = [
    { id: "a", run: "r2", shot: 2, shots: 3 }, { id: "x" }, { id: "b", run: "r2", shot: 1, shots: 3 },
    { id: "y", run: "r1" }, { id: "c", run: "r2", shot: 3, shots: 3 }];
  const groups = byRun(jobs).map((group) => group.map((job) => job.id));
  assert.deepEqual(groups, [["b", "a", "c"], ["x"], ["y"]]);
});
