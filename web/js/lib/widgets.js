// Which widgets a node shows for the model chosen, with which values: pure logic over the
// catalog the server publishes (GET /model_gateway/catalog). No ComfyUI here, so node's test
// runner can check it.

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

/** The value a combo keeps when the model changes: its own if still offered, else "default". */
export function keptValue(value, offered) {
  return offered.includes(value) ? value : DEFAULT;
}

/** Duration kept when the model changes: 0 (the model's default) unless still allowed. */
export function keptDuration(value, plan) {
  if (!plan.range || value === 0) return value;
  return plan.range.allowed.includes(value) ? value : 0;
}

/** SeaCloud LLM: the temperature ceiling of the protocol chosen. */
export function temperatureMax(catalog, protocol) {
  return catalog?.protocols?.[protocol]?.temperature_max ?? 2;
}

/** SeaCloud Submit: image_field matters only for a model the catalog does not know. */
export function needsImageField(catalog, modelId, customModelId) {
  const id = (customModelId ?? "").trim() || modelId;
  return !(catalog?.queue ?? []).some((m) => m.id === id);
}
