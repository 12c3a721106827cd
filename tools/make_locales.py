"""Node-definition translations in the layout ComfyUI serves for custom nodes.

ComfyUI's server reads `locales/<lang>/main.json` (plus `nodeDefs.json`, `commands.json`,
`settings.json`) from every custom-node folder and serves them merged at GET /i18n; the frontend
merges that into its own messages and looks up, per node class name:

    nodeDefs.<Node>.display_name / .description
    nodeDefs.<Node>.inputs.<input>.name / .tooltip      (widget label, socket label, tooltip)
    nodeDefs.<Node>.outputs.<index>.name / .tooltip
    nodeCategories.<segment>                            (main.json; each part of CATEGORY)
    settingsCategories.<part>                           (main.json; the key panel's category)
    settings.ModelGateway_Keys.name / .tooltip          (settings.json; the key panel)
    settings.ModelGateway_Money.name / .tooltip         (settings.json; prices and budgets)

The page's own texts (key panel, status and usage lines, Gateway tasks) are in
`locales/<lang>/page.json`, which ComfyUI does not serve: tools/make_web.py compiles them into
web/js/lib/messages.js. English page.json is written by hand; main.json and settings.json take
the settings' English from it.

English falls back to the node classes themselves, and every other language falls back to `en`.

Every value is a vue-i18n message, compiled when looked up: `{`, `}`, `@` and `|` are syntax there
(a placeholder, a linked message, a plural separator), so `{"a": 1}` would show as nothing. They
are written as literals, `{'{'}` and so on: English is escaped here, translations must be too.

    python3 tools/make_locales.py            write locales/en from the node classes, report zh/ru
    python3 tools/make_locales.py --check    write nothing; exit 1 if locales/en is out of date
    python3 tools/make_locales.py --strict   also exit 1 if a translation misses keys, has extra
                                             ones or unescaped message syntax

Translations (zh, ru) are written by hand and never touched here. For each the report lists:
  missing    keys English has and the translation lacks (new node, input, tooltip)
  obsolete   keys the translation has and English no longer does (renamed or removed)
  stale      keys whose English text changed after the translation file was last committed
             (compares locales/en/nodeDefs.json at that commit with the current classes)
  same       display names / descriptions / tooltips still identical to English
  syntax     values with an unescaped { } @ | (vue-i18n would drop or garble the text)
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pack_loader  # noqa: E402  (the tools folder is not a package)

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
SOURCE = "en"
TRANSLATIONS = ("zh", "ru")
PACK_MODULE = "custom_nodes_model_gateway_locales"

# Category segments ComfyUI's frontend already translates in every language it ships. The
# nodeCategories table is one namespace shared by all nodes, so the pack leaves these to ComfyUI.
CORE_CATEGORY_SEGMENTS = frozenset({"image", "video"})

# Values that may legitimately read the same in a translation as in English.
SAME_BY_NATURE = frozenset({"SeaCloud LLM", "CloudBase LLM", "GPTunnel Seedream 4", "JSON",
                            "fps", "task_id", "model_id", "custom_model_id", "top_p",
                            "max_tokens", "LLM", "llm"})


def load_pack(name: str = PACK_MODULE):
    return pack_loader.load_pack(name)


MESSAGE_SYNTAX = "{}@|"


def escape_message(text: str) -> str:
    """text as a vue-i18n message that renders as itself."""
    return "".join(f"{{'{ch}'}}" if ch in MESSAGE_SYNTAX else ch for ch in text)


def unescaped_syntax(text: str) -> bool:
    """Whether text has message syntax left outside the literals escape_message writes."""
    bare = re.sub(r"\{'[" + re.escape(MESSAGE_SYNTAX) + r"]'\}", "", text)
    return any(ch in bare for ch in MESSAGE_SYNTAX)


def _visible_inputs(cls) -> dict:
    """required + optional inputs in the order the node shows them (hidden ones have no UI)."""
    spec = cls.INPUT_TYPES()
    return {**spec.get("required", {}), **spec.get("optional", {})}


def node_defs(pack) -> dict:
    """locales/en/nodeDefs.json as the node classes say it."""
    defs = {}
    for name in sorted(pack.NODE_CLASS_MAPPINGS):
        cls = pack.NODE_CLASS_MAPPINGS[name]
        entry = {"display_name": escape_message(pack.NODE_DISPLAY_NAME_MAPPINGS.get(name, name))}
        if getattr(cls, "DESCRIPTION", ""):
            entry["description"] = escape_message(cls.DESCRIPTION)
        inputs = {}
        for input_name, config in _visible_inputs(cls).items():
            options = config[1] if len(config) > 1 and isinstance(config[1], dict) else {}
            inputs[input_name] = {"name": escape_message(input_name)}
            if options.get("tooltip"):
                inputs[input_name]["tooltip"] = escape_message(options["tooltip"])
        if inputs:
            entry["inputs"] = inputs
        types = tuple(getattr(cls, "RETURN_TYPES", ()))
        names = tuple(getattr(cls, "RETURN_NAMES", None) or types)
        tips = tuple(getattr(cls, "OUTPUT_TOOLTIPS", None) or ())
        outputs = {}
        for index, output_name in enumerate(names):
            outputs[str(index)] = {"name": escape_message(output_name)}
            if index < len(tips) and tips[index]:
                outputs[str(index)]["tooltip"] = escape_message(tips[index])
        if outputs:
            entry["outputs"] = outputs
        defs[name] = entry
    return defs


def category_segments(pack) -> list[str]:
    segments: list[str] = []
    for cls in pack.NODE_CLASS_MAPPINGS.values():
        for part in getattr(cls, "CATEGORY", "").split("/"):
            if part and part not in segments:
                segments.append(part)
    return segments


def main_json(pack) -> dict:
    """locales/en/main.json: the category segments this pack introduces, as they read, and the
    settings dialog's category and group of the key panel (from locales/en/page.json)."""
    own = [s for s in category_segments(pack) if s not in CORE_CATEGORY_SEGMENTS]
    settings = page_settings()
    return {"nodeCategories": {segment: escape_message(segment) for segment in sorted(own)},
            "settingsCategories": {escape_message(settings[k]): escape_message(settings[k])
                                   for k in ("category", "group", "moneyGroup")}}


def page_settings() -> dict:
    """The key panel's setting as the page registers it (English, locales/en/page.json)."""
    return json.loads((LOCALES / SOURCE / "page.json").read_text(encoding="utf-8"))["settings"]


# The page registers two settings, ModelGateway.Keys and ModelGateway.Money; the frontend looks
# their words up as settings.<id with dots as underscores>.name / .tooltip
# (locales/<lang>/settings.json).
SETTING_KEY = "ModelGateway_Keys"
MONEY_SETTING_KEY = "ModelGateway_Money"


def settings_json() -> dict:
    settings = page_settings()
    return {SETTING_KEY: {"name": escape_message(settings["name"]),
                          "tooltip": escape_message(settings["tooltip"])},
            MONEY_SETTING_KEY: {"name": escape_message(settings["moneyName"]),
                                "tooltip": escape_message(settings["moneyTooltip"])}}


def page_json() -> dict:
    """locales/en/page.json: the page's own texts. Written by hand (it is the source); only
    reviewed here, with {name} placeholders that every translation must keep."""
    return json.loads((LOCALES / SOURCE / "page.json").read_text(encoding="utf-8"))


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def dump(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def flatten(data, prefix: tuple = ()) -> dict[tuple, object]:
    if isinstance(data, dict):
        flat = {}
        for key, value in data.items():
            flat.update(flatten(value, prefix + (str(key),)))
        return flat
    return {prefix: data}


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                                timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def english_at_translation(lang: str, filename: str) -> tuple[dict | None, str]:
    """(English as it was when `lang`'s file was last committed, a note on that baseline)."""
    relative = f"locales/{lang}/{filename}"
    commit = (_git("log", "-1", "--format=%h", "--", relative) or "").strip()
    if not commit:
        return None, "not committed yet, so changed English cannot be told apart"
    text = _git("show", f"{commit}:locales/{SOURCE}/{filename}")
    if text is None:
        return None, f"no locales/{SOURCE}/{filename} at {commit}"
    dirty = bool((_git("status", "--porcelain", "--", relative) or "").strip())
    note = f"English compared with {commit}" + (
        f" ({relative} has uncommitted edits: ignore keys already updated there)" if dirty else "")
    return json.loads(text), note


def _key(path: tuple) -> str:
    return ".".join(path)


def review(lang: str, filename: str, english: dict) -> dict[str, list[str]]:
    """What `lang`'s file lacks, has in excess, has stale, or still has in English."""
    translated = _read_json(LOCALES / lang / filename)
    source = flatten(english)
    if translated is None:
        return {"missing": [], "obsolete": [], "stale": [], "same": [], "syntax": [], "absent": True,
                "note": [f"locales/{lang}/{filename} does not exist: copy locales/{SOURCE}/"
                         f"{filename} there and translate every value"]}
    target = flatten(translated)
    if filename == "page.json":  # the page's own {name} placeholders, not vue-i18n messages
        return _review_page(source, target)
    report = {
        "missing": [_key(k) for k in source if not (isinstance(target.get(k), str) and target[k].strip())],
        "obsolete": [_key(k) for k in target if k not in source],
        "same": [_key(k) for k, v in source.items() if k[-1] != "name" and target.get(k) == v
                 and isinstance(v, str) and v not in SAME_BY_NATURE and not _is_category(k)],
        "syntax": [_key(k) for k, v in target.items() if isinstance(v, str) and unescaped_syntax(v)],
        "stale": [], "note": [],
    }
    baseline, note = english_at_translation(lang, filename)
    report["note"].append(note)
    if baseline is not None:
        before = flatten(baseline)
        report["stale"] = [_key(k) for k, v in source.items()
                           if k in target and k in before and before[k] != v]
    return report


def _review_page(source: dict, target: dict) -> dict:
    """page.json: keys as for the others; every {placeholder} English has, kept; no English
    left (the texts the page shows are all words, bar a few names)."""
    return {
        "missing": [_key(k) for k in source if not (isinstance(target.get(k), str) and target[k].strip())],
        "obsolete": [_key(k) for k in target if k not in source],
        "same": [_key(k) for k, v in source.items() if target.get(k) == v and isinstance(v, str)
                 and re.search(r"[A-Za-z]{3}", PLACEHOLDER.sub("", v))],
        "syntax": [_key(k) for k, v in source.items() if isinstance(target.get(k), str)
                   and sorted(PLACEHOLDER.findall(v)) != sorted(PLACEHOLDER.findall(target[k]))],
        "stale": [], "note": ["syntax here: a {placeholder} of English missing or added"],
    }


def _is_category(path: tuple) -> bool:
    return path[0] == "nodeCategories"


def print_review(lang: str, filename: str, report: dict) -> bool:
    """Prints the report; True when the translation has every key and no extra ones (and, for
    page.json, no English left)."""
    kinds = ("missing", "obsolete", "syntax", "stale", "same")
    counts = ", ".join(f"{len(report[k])} {k}" for k in kinds)
    print(f"{lang}/{filename}: {counts}" + "".join(f"\n  ({n})" for n in report["note"] if n))
    for kind in kinds:
        for key in report[kind]:
            print(f"  {kind:8} {key}")
    return not (report.get("absent") or report["missing"] or report["obsolete"] or report["syntax"]
                or (filename == "page.json" and report["same"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if locales/en is out of date")
    parser.add_argument("--strict", action="store_true",
                        help="also exit 1 if a translation misses keys, has obsolete ones or "
                             "unescaped message syntax")
    args = parser.parse_args(argv)

    pack = load_pack()
    english = {"nodeDefs.json": node_defs(pack), "main.json": main_json(pack),
               "settings.json": settings_json(), "page.json": page_json()}
    status = 0
    for filename, data in english.items():
        if filename == "page.json":
            continue  # the source itself: nothing to write
        path = LOCALES / SOURCE / filename
        wanted = dump(data)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == wanted:
            print(f"{SOURCE}/{filename}: up to date")
        elif args.check:
            old = flatten(json.loads(current)) if current else {}
            new = flatten(data)
            changed = sorted(_key(k) for k in set(old) | set(new) if old.get(k) != new.get(k))
            print(f"{SOURCE}/{filename}: OUT OF DATE ({len(changed) or 'layout'} keys differ); "
                  f"run python3 tools/make_locales.py")
            for key in changed:
                print(f"  changed  {key}")
            status = 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted, encoding="utf-8")
            print(f"{SOURCE}/{filename}: written")
    for lang in TRANSLATIONS:
        for filename, data in english.items():
            complete = print_review(lang, filename, review(lang, filename, data))
            if args.strict and not complete:
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
