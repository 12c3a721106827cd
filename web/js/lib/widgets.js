// Which widgets a node shows for the model chosen, with which values, and which saved values the
// model does not allow: pure logic over the catalog (web/js/lib/catalog.js, the same data the
// server publishes at GET /model_gateway/catalog). No ComfyUI here, so node's test runner can
// check it.
//
// The rule these functions serve: the page never changes a value it did not just offer in a
// changed list. A value loaded from a workflow is kept as saved; if the model does not allow it,
// it is reported (problems) and the run is refused before anything is sent (promptErrors).

export const DEFAULT = "default";

// Node inputs that depend on the chosen video model.
export const VIDEO_PARAMETERS = ["duration", "resolution", "ratio", "size", "negative_prompt", "off_peak"];

const PLURAL = { resolution: "resolutions", ratio: "ratios", size: "sizes" };

/** The video model row of the catalog for a node type and a model name, or null. */
export function videoModel(catalog, nodeType, modelName) {
  const operation = catalog?.video_nodes?.[nodeType];
  if (!operation) return null;
  return (catalog.video?.[operation] ?? []).find((m) => m.name === modelName) ?? null;
}

/**
 * The plan for a video node: for each parameter, whether it is shown, and for combos the
 * values offered ("default" first). Duration is an INT: its range goes in `range`.
 */
export function videoPlan(model) {
  const plan = { visible: {}, values: {}, range: null, defaults: {} };
  for (const name of VIDEO_PARAMETERS) plan.visible[name] = model ? model.parameters.includes(name) : true;
  if (!model) return plan;
  for (const [name, list] of Object.entries(PLURAL)) {
    if (model[list]?.length) plan.values[name] = [DEFAULT, ...model[list]];
    plan.defaults[name] = model[name] ?? null;
  }
  const durations = model.durations ?? [];
  plan.range = { min: Math.min(...durations), max: Math.max(...durations), default: model.duration, allowed: durations };
  return plan;
}

/** The value a combo keeps when the user picks another model: its own if still offered, else
 * "default". (Only then: a loaded value is never replaced.) */
export function keptValue(value, offered) {
  return offered.includes(value) ? value : DEFAULT;
}

/** Duration kept when the user picks another model: 0 (the model's default) unless still allowed. */
export function keptDuration(value, plan) {
  if (!plan.range || value === 0) return value;
  return plan.range.allowed.includes(value) ? value : 0;
}

/** The list a combo shows: the allowed values, plus the current one where the model does not
 * allow it, so that a saved value stays visible as saved (and marked) instead of vanishing. */
export function shownValues(allowed, value) {
  return allowed.includes(value) || value == null ? allowed : [...allowed, value];
}

/** The widest range an INT/FLOAT widget may show: the allowed one, stretched to the current
 * value so that no frontend clamps a saved value it does not allow (it is marked instead). */
export function shownMax(allowedMax, value) {
  return typeof value === "number" && value > allowedMax ? value : allowedMax;
}

/** A media node's model row (GPTunnel Media Submit: catalog.gptunnel_media), or null. */
export function mediaModel(catalog, nodeType, id) {
  const table = catalog?.media_nodes?.[nodeType];
  return table ? (catalog[table] ?? []).find((m) => m.id === id) ?? null : null;
}

/** Every aspect ratio a media node's models take, "default" first: the node's own list (as
 * the server builds it), offered for a model the catalog does not know. */
export function mediaRatios(catalog, nodeType) {
  const rows = catalog?.[catalog?.media_nodes?.[nodeType]] ?? [];
  return [DEFAULT, ...new Set(rows.flatMap((m) => m.ratios))];
}

/** What a media node offers for its model: the aspect ratios ("default" first; null for a
 * model the catalog does not know: all stay offered) and whether it takes reference images. */
export function mediaPlan(model) {
  if (!model) return { ratios: null, images: true };
  return { ratios: [DEFAULT, ...model.ratios], images: model.max_images > 0 };
}

/** An LLM node: the temperature ceiling of the protocol chosen. */
export function temperatureMax(catalog, protocol) {
  return catalog?.protocols?.[protocol]?.temperature_max ?? 2;
}

/** SeaCloud Submit: image_field matters only for a model the catalog does not know. */
export function needsImageField(catalog, modelId, customModelId) {
  const id = (customModelId ?? "").trim() || modelId;
  return !(catalog?.queue ?? []).some((m) => m.id === id);
}

/** Durations as the server's messages say them: "4 to 15", or "5, 10, 15". */
export function durationsText(durations) {
  const list = [...durations];
  const run = list.length > 3 && list.every((d, i) => d === list[0] + i);
  return run ? `${list[0]} to ${list[list.length - 1]}` : list.join(", ");
}

/**
 * The values of one node that its model does not allow, as
 * [{ field, value, kind: "choice" | "duration" | "temperature", allowed, model, ... }].
 * `values` maps input names to values; an input fed by a link is not in it (nothing to check)
 * but is named in `linked`. An unknown model yields nothing here: the server checks it by name.
 */
export function problems(catalog, nodeType, values, linked = []) {
  const found = [];
  const model = videoModel(catalog, nodeType, values.model);
  if (model) {
    const plan = videoPlan(model);
    for (const name of Object.keys(PLURAL)) {
      const value = values[name];
      if (!plan.visible[name] || value === undefined || value === DEFAULT) continue;
      const allowed = plan.values[name] ?? [DEFAULT];
      if (!allowed.includes(value)) {
        found.push({ field: name, value, kind: "choice", allowed: allowed.filter((v) => v !== DEFAULT),
          model: model.name });
      }
    }
    const duration = values.duration;
    if (typeof duration === "number" && duration !== 0 && !plan.range.allowed.includes(duration)) {
      found.push({ field: "duration", value: duration, kind: "duration", allowed: plan.range.allowed,
        model: model.name, default: plan.range.default });
    }
  }
  const media = mediaModel(catalog, nodeType, values.model);
  if (media) {
    if (values.ar !== undefined && values.ar !== DEFAULT && !media.ratios.includes(values.ar)) {
      found.push({ field: "ar", value: values.ar, kind: "choice", allowed: media.ratios, model: media.id });
    }
    if (!media.max_images) {
      if (linked.includes("image")) found.push({ field: "image", value: "", kind: "images", model: media.id });
      if (String(values.image_url ?? "").trim()) {
        found.push({ field: "image_url", value: values.image_url, kind: "images", model: media.id });
      }
    }
  }
  if (catalog?.llm_nodes?.includes(nodeType) && typeof values.temperature === "number"
      && values.protocol !== undefined) {
    const max = temperatureMax(catalog, values.protocol);
    if (values.temperature > max || values.temperature < 0) {
      found.push({ field: "temperature", value: values.temperature, kind: "temperature", max,
        protocol: values.protocol });
    }
  }
  return found;
}

/** An API-format prompt input that is a link ([node id, output index]), not a value. */
function isLink(value) {
  return Array.isArray(value) && value.length === 2 && typeof value[1] === "number";
}

/**
 * ComfyUI's own answer to a prompt that fails validation ({ error, node_errors }, as POST /prompt
 * sends with status 400) for the pack's nodes whose values their model does not allow, or null
 * when there are none. `prompt` is the API-format prompt the page is about to send; `message`
 * turns one problem into the text shown for it; `title` names a node type for the dialog.
 */
export function promptErrors(catalog, prompt, message, title = (type) => type, short = "Value not allowed by the model") {
  const nodeErrors = {};
  for (const [id, node] of Object.entries(prompt ?? {})) {
    if (!catalog?.nodes?.includes(node?.class_type)) continue;
    const inputs = Object.entries(node.inputs ?? {});
    const values = Object.fromEntries(inputs.filter(([, v]) => !isLink(v)));
    const linked = inputs.filter(([, v]) => isLink(v)).map(([name]) => name);
    const found = problems(catalog, node.class_type, values, linked);
    if (!found.length) continue;
    nodeErrors[id] = {
      class_type: node.class_type,
      dependent_outputs: [],
      errors: found.map((problem) => {
        const text = message(problem, title(node.class_type));
        // as the server words a VALIDATE_INPUTS refusal: a short message, the whole one in details
        return { type: "custom_validation_failed", message: short, details: text,
          extra_info: { input_name: problem.field, received_value: problem.value } };
      }),
    };
  }
  if (!Object.keys(nodeErrors).length) return null;
  const details = Object.values(nodeErrors).flatMap((n) => n.errors.map((e) => e.details)).join("\n");
  return { error: { type: "prompt_outputs_failed_validation", message: "Prompt outputs failed validation",
    details: "", extra_info: {} }, node_errors: nodeErrors, mg_details: details };
}
