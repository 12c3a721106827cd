import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  DEFAULT, keptDuration, keptValue, needsImageField, temperatureMax, videoModel, videoPlan,
} from "../../web/js/lib/widgets.js";

// The catalog exactly as the server publishes it (tests/js/catalog.json is written by the
// Python test suite from providers.catalog.as_json(), so the two cannot drift apart).
const catalog = JSON.parse(readFileSync(new URL("./catalog.json", import.meta.url)));

test("Wan shows size and negative prompt, hides resolution, ratio and off_peak", () => {
  const plan = videoPlan(videoModel(catalog, "OpenComputingTextToVideo", "Wan 2.6 t2v"));
  assert.deepEqual(plan.visible, {
    duration: true, resolution: false, ratio: false, size: true, negative_prompt: true, off_peak: false,
  });
  assert.equal(plan.values.size[0], DEFAULT);
  assert.ok(plan.values.size.includes("1920*1080"));
  assert.deepEqual(plan.range.allowed, [5, 10, 15]);
  assert.equal(plan.range.default, 15);
});

test("Seedance 2.0 fast offers no 1080p; Vidu offers 540p and off_peak", () => {
  const fast = videoPlan(videoModel(catalog, "OpenComputingTextToVideo", "Seedance 2.0 fast (Doubao)"));
  assert.deepEqual(fast.values.resolution, [DEFAULT, "480p", "720p"]);
  assert.equal(fast.visible.off_peak, false);
  const vidu = videoPlan(videoModel(catalog, "OpenComputingImageToVideo", "Vidu q2 turbo"));
  assert.deepEqual(vidu.values.resolution, [DEFAULT, "540p", "720p", "1080p"]);
  assert.equal(vidu.visible.off_peak, true);
  assert.deepEqual([vidu.range.min, vidu.range.max], [1, 16]);
});

test("a model is looked up per node operation", () => {
  assert.equal(videoModel(catalog, "OpenComputingReferenceToVideo", "Wan 2.6 t2v"), null);
  assert.equal(videoModel(catalog, "SeaCloudLLM", "x"), null);
  assert.equal(videoModel(catalog, "OpenComputingReferenceToVideo", "Seedance 2.0 (WeToken)").llmid,
    "nVbH7lEO51soqTbLGIHE_");
});

test("an unknown model shows everything (the server validates)", () => {
  const plan = videoPlan(null);
  assert.ok(Object.values(plan.visible).every(Boolean));
});

test("values survive a model change only where still allowed", () => {
  const fast = videoPlan(videoModel(catalog, "OpenComputingTextToVideo", "Seedance 2.0 fast (Doubao)"));
  assert.equal(keptValue("1080p", fast.values.resolution), DEFAULT);
  assert.equal(keptValue("720p", fast.values.resolution), "720p");
  const wan = videoPlan(videoModel(catalog, "OpenComputingTextToVideo", "Wan 2.6 t2v"));
  assert.equal(keptDuration(7, wan), 0);
  assert.equal(keptDuration(10, wan), 10);
  assert.equal(keptDuration(0, wan), 0);
});

test("temperature ceiling follows the protocol", () => {
  assert.equal(temperatureMax(catalog, "anthropic_messages"), 1);
  assert.equal(temperatureMax(catalog, "chat_completions"), 2);
  assert.equal(temperatureMax({}, "unknown"), 2);
});

test("image_field is asked for only for a model the catalog does not know", () => {
  assert.equal(needsImageField(catalog, "nano_banana_2", ""), false);
  assert.equal(needsImageField(catalog, "nano_banana_2", "flux_kontext"), true);
  assert.equal(needsImageField(catalog, "nano_banana_2", "  "), false);
});
