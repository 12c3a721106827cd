// Small DOM helpers shared by the page's panels (no ComfyUI here).

/** An element with attributes (onclick, onchange… become listeners) and children (null skipped). */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value == null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((c) => c != null && c !== false));
  return element;
}

/** One <style> element per id in the document head. */
export function style(id, css) {
  if (document.getElementById(id)) return;
  document.head.append(el("style", { id }, css));
}

export async function json(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { error: `${response.status} ${response.statusText}` };
  }
}
