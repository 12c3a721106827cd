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

// -- saved values are never rewritten: they are reported, and the run is refused -------------

import { problems, promptErrors, shownMax, shownValues, durationsText } from "../../web/js/lib/widgets.js";
import { CATALOG } from "../../web/js/lib/catalog.js";

test("the catalog the page ships is the one the server publishes", () => {
  // less the gateways' live model lists, which the route adds as last fetched
  const { live_models: _live, ...published } = catalog;
  assert.deepEqual(CATALOG, published);
});

test("values the model allows raise nothing", () => {
  assert.deepEqual(problems(catalog, "OpenComputingTextToVideo",
    { model: "Seedance 2.0 (Doubao)", duration: 0, resolution: "default", ratio: "16:9", size: "1920*1080" }), []);
  assert.deepEqual(problems(catalog, "OpenComputingTextToVideo",
    { model: "Wan 2.6 t2v", duration: 10, size: "1920*1080", resolution: "1080p" }), [],
  "inputs the model does not take are not sent, so they are not checked");
  assert.deepEqual(problems(catalog, "SeaCloudLLM", { protocol: "chat_completions", temperature: 1.5 }), []);
  assert.deepEqual(problems(catalog, "OpenComputingTextToVideo", { model: "a model renamed since", duration: 3 }), []);
});

test("a loaded value the model does not allow is reported with what is allowed", () => {
  assert.deepEqual(problems(catalog, "OpenComputingTextToVideo", { model: "Seedance 2.0 (Doubao)", duration: 3 }),
    [{ field: "duration", value: 3, kind: "duration", allowed: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
      model: "Seedance 2.0 (Doubao)", default: 5 }]);
  const fast = problems(catalog, "OpenComputingTextToVideo", { model: "Seedance 2.0 fast (Doubao)", resolution: "1080p" });
  assert.deepEqual(fast.map((p) => [p.field, p.value, p.allowed]), [["resolution", "1080p", ["480p", "720p"]]]);
  const wan = problems(catalog, "OpenComputingTextToVideo", { model: "Wan 2.6 t2v", duration: 7 });
  assert.equal(durationsText(wan[0].allowed), "5, 10, 15");
  assert.deepEqual(problems(catalog, "SeaCloudLLM", { protocol: "anthropic_messages", temperature: 1.5 }),
    [{ field: "temperature", value: 1.5, kind: "temperature", max: 1, protocol: "anthropic_messages" }]);
});

test("a disallowed value stays on show: in the list, and within the range", () => {
  assert.deepEqual(shownValues(["default", "480p", "720p"], "1080p"), ["default", "480p", "720p", "1080p"]);
  assert.deepEqual(shownValues(["default", "480p", "720p"], "720p"), ["default", "480p", "720p"]);
  assert.equal(shownMax(12, 15), 15);
  assert.equal(shownMax(12, 5), 12);
  assert.equal(shownMax(1, 1.5), 1.5);
});

test("a prompt with such a value is refused in ComfyUI's own validation answer", () => {
  const prompt = {
    "3": { class_type: "OpenComputingTextToVideo", inputs: { model: "Seedance 2.0 (Doubao)", prompt: ["7", 0],
      duration: 3, resolution: "default", ratio: "16:9", size: "default", negative_prompt: "", off_peak: false, seed: 1 } },
    "7": { class_type: "SeaCloudLLM", inputs: { protocol: "anthropic_messages", temperature: 0.5 } },
    "9": { class_type: "KSampler", inputs: { duration: 3 } },
  };
  const answer = promptErrors(catalog, prompt, (p, node) => `${node}: ${p.field} ${p.value}`, () => "T2V");
  assert.equal(answer.error.type, "prompt_outputs_failed_validation");
  assert.deepEqual(Object.keys(answer.node_errors), ["3"]);
  assert.deepEqual(answer.node_errors["3"].errors, [{ type: "custom_validation_failed", message: "Value not allowed by the model",
    details: "T2V: duration 3", extra_info: { input_name: "duration", received_value: 3 } }]);
  assert.equal(answer.node_errors["3"].class_type, "OpenComputingTextToVideo");
  prompt["3"].inputs.duration = ["5", 0];  // fed by a link: nothing the page can check
  assert.equal(promptErrors(catalog, prompt, () => ""), null);
});

// -- issue 11's facts the page uses: CloudBase's protocols, GPTunnel media models ----------

import { mediaModel, mediaPlan } from "../../web/js/lib/widgets.js";

test("CloudBase LLM's temperature follows its protocol too", () => {
  assert.deepEqual(problems(catalog, "CloudBaseLLM", { protocol: "anthropic_messages", temperature: 1.2 }),
    [{ field: "temperature", value: 1.2, kind: "temperature", max: 1, protocol: "anthropic_messages" }]);
  assert.deepEqual(problems(catalog, "CloudBaseLLM", { protocol: "responses", temperature: 1.2 }), []);
});

test("GPTunnel Media Submit offers each model's own aspect ratios, and image inputs only where it takes them", () => {
  const veo = mediaPlan(mediaModel(catalog, "GPTunnelMediaSubmit", "glabs-veo-3"));
  assert.deepEqual(veo, { ratios: [DEFAULT, "16:9", "9:16"], images: true });
  const imagen = mediaPlan(mediaModel(catalog, "GPTunnelMediaSubmit", "google-imagen-3"));
  assert.equal(imagen.images, false);
  assert.ok(imagen.ratios.includes("21:9"));
  assert.equal(mediaModel(catalog, "SeaCloudSubmit", "glabs-veo-3"), null, "per node");
  assert.deepEqual(mediaPlan(null), { ratios: null, images: true }, "an unknown model: all offered");
});

test("a saved ratio or reference image the media model does not take is reported", () => {
  assert.deepEqual(problems(catalog, "GPTunnelMediaSubmit", { model: "glabs-veo-3", ar: "1:1", image_url: "" }),
    [{ field: "ar", value: "1:1", kind: "choice", allowed: ["16:9", "9:16"], model: "glabs-veo-3" }]);
  assert.deepEqual(problems(catalog, "GPTunnelMediaSubmit", { model: "glabs-veo-3", ar: "default" }), []);
  const imagen = problems(catalog, "GPTunnelMediaSubmit",
    { model: "google-imagen-3", ar: "21:9", image_url: "https://example.com/a.png" }, ["image"]);
  assert.deepEqual(imagen.map((p) => [p.field, p.kind]), [["image", "images"], ["image_url", "images"]]);
  assert.deepEqual(problems(catalog, "GPTunnelMediaSubmit", { model: "seedream-3", ar: "1:1" }, ["image"]), []);
});

test("a prompt feeding an image to a model that takes none is refused in the page", () => {
  const prompt = { "4": { class_type: "GPTunnelMediaSubmit", inputs: { model: "google-imagen-3", prompt: "a cat",
    ar: "default", seed: 1, count: 1, image: ["2", 0], image_url: "" } } };
  const answer = promptErrors(catalog, prompt, (p, node) => `${node}: ${p.field}`, () => "Media");
  assert.deepEqual(answer.node_errors["4"].errors.map((e) => e.extra_info.input_name), ["image"]);
});

test("a media model the catalog does not know is offered every ratio the node lists", async () => {
  const { mediaRatios } = await import("../../web/js/lib/widgets.js");
  // nodes/image.py _media_ratios(): "default", then each model's ratios in catalog order
  assert.deepEqual(mediaRatios(catalog, "GPTunnelMediaSubmit"),
    [DEFAULT, "1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"]);
  assert.deepEqual(mediaRatios(catalog, "SeaCloudSubmit"), [DEFAULT]);
});
