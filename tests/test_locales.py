"""Node-definition translations (locales/<lang>/nodeDefs.json, main.json) as ComfyUI serves them
at GET /i18n: English matches the node classes, and Chinese and Russian cover every node, input
and output in their own language.

The frontend compiles every value as a vue-i18n message, where { } @ | are syntax: a literal one is
written {'{'} and so on (tools/make_locales.py does it for English)."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import PACK, ROOT

LOCALES = ROOT / "locales"
LANGUAGES = ("en", "zh", "ru")
TRANSLATIONS = ("zh", "ru")
SCRIPT = {"zh": re.compile(r"[\u4e00-\u9fff]"), "ru": re.compile(r"[А-Яа-яЁё]")}
# Display names that may read the same as in English (a brand plus a model name, say). None yet.
SAME_DISPLAY_NAMES: frozenset[str] = frozenset()
# Category segments ComfyUI's frontend translates itself (its nodeCategories are shared by all
# nodes, so the pack does not redefine them).
CORE_CATEGORY_SEGMENTS = {"image", "video"}
LITERAL = re.compile(r"\{'([{}@|])'\}")


def unescape(message: str) -> str:
    """The text vue-i18n shows for a message (for the literals this pack writes)."""
    return LITERAL.sub(r"\1", message)


def has_bare_syntax(message: str) -> bool:
    return any(ch in LITERAL.sub("", message) for ch in "{}@|")


def load(lang: str, filename: str) -> dict:
    return json.loads((LOCALES / lang / filename).read_text(encoding="utf-8"))


def visible_inputs(cls) -> dict:
    spec = cls.INPUT_TYPES()
    return {**spec.get("required", {}), **spec.get("optional", {})}


def tooltip(config) -> str | None:
    return config[1].get("tooltip") if len(config) > 1 and isinstance(config[1], dict) else None


def own_category_segments() -> set[str]:
    return {part for cls in PACK.NODE_CLASS_MAPPINGS.values()
            for part in cls.CATEGORY.split("/")} - CORE_CATEGORY_SEGMENTS


def filled(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


@pytest.mark.parametrize("path", sorted(LOCALES.rglob("*.json")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_json_files_parse(path):
    assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_node_input_and_output_has_its_entries(lang):
    defs = load(lang, "nodeDefs.json")
    assert sorted(defs) == sorted(PACK.NODE_CLASS_MAPPINGS), f"{lang}: nodes differ"
    for name, cls in PACK.NODE_CLASS_MAPPINGS.items():
        entry = defs[name]
        where = f"{lang}/nodeDefs.json {name}"
        assert filled(entry.get("display_name")), f"{where}: display_name"
        assert filled(entry.get("description")), f"{where}: description"
        inputs = visible_inputs(cls)
        assert list(entry.get("inputs", {})) == list(inputs), f"{where}: inputs differ"
        for input_name in inputs:
            assert filled(entry["inputs"][input_name].get("name")), f"{where}.{input_name}: name"
            assert filled(entry["inputs"][input_name].get("tooltip")), f"{where}.{input_name}: tooltip"
        indices = [str(i) for i in range(len(cls.RETURN_TYPES))]
        assert list(entry.get("outputs", {})) == indices, f"{where}: outputs differ"
        for index in indices:
            assert filled(entry["outputs"][index].get("name")), f"{where} output {index}: name"
            assert filled(entry["outputs"][index].get("tooltip")), f"{where} output {index}: tooltip"


def test_node_and_input_names_are_keys_the_frontend_looks_up():
    # The frontend looks up nodeDefs.<node>.inputs.<input> with dots replaced by underscores.
    for name, cls in PACK.NODE_CLASS_MAPPINGS.items():
        assert "." not in name
        assert not [n for n in visible_inputs(cls) if "." in n], name


def test_english_is_what_the_node_classes_say():
    """A changed display name, description or tooltip fails here until locales/en is
    regenerated with tools/make_locales.py."""
    defs = load("en", "nodeDefs.json")
    for name, cls in PACK.NODE_CLASS_MAPPINGS.items():
        entry = defs[name]
        shown = json.loads(json.dumps(entry), object_hook=lambda d: {
            k: unescape(v) if isinstance(v, str) else v for k, v in d.items()})
        assert shown["display_name"] == PACK.NODE_DISPLAY_NAME_MAPPINGS[name], name
        assert shown["description"] == cls.DESCRIPTION, name
        for input_name, config in visible_inputs(cls).items():
            assert shown["inputs"][input_name] == {"name": input_name, "tooltip": tooltip(config)}, \
                f"{name}.{input_name}: run python3 tools/make_locales.py"
        for index, (output_name, tip) in enumerate(zip(cls.RETURN_NAMES, cls.OUTPUT_TOOLTIPS,
                                                       strict=True)):
            assert shown["outputs"][str(index)] == {"name": output_name, "tooltip": tip}, \
                f"{name} output {index}: run python3 tools/make_locales.py"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_bare_message_syntax(lang):
    """A bare { } @ or | makes vue-i18n drop text ({...} is a placeholder) or fail (@)."""
    for filename in ("nodeDefs.json", "main.json"):
        def walk(node, path):
            if isinstance(node, dict):
                for key, value in node.items():
                    walk(value, f"{path}.{key}")
            else:
                assert not has_bare_syntax(node), f"{lang}/{filename}{path}: {node!r}"
        walk(load(lang, filename), "")


def test_make_locales_check_passes():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_locales.py"), "--check",
                             "--strict"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_translations_have_no_english_leftovers(lang):
    english, defs = load("en", "nodeDefs.json"), load(lang, "nodeDefs.json")
    script = SCRIPT[lang]
    for name, entry in defs.items():
        source = english[name]
        if source["display_name"] not in SAME_DISPLAY_NAMES:
            assert entry["display_name"] != source["display_name"], f"{lang} {name}: display_name"
            assert script.search(entry["display_name"]), f"{lang} {name}: display_name"
        texts = [("description", entry["description"], source["description"])]
        texts += [(f"{n}.tooltip", v["tooltip"], source["inputs"][n]["tooltip"])
                  for n, v in entry.get("inputs", {}).items()]
        texts += [(f"output {i}.tooltip", v["tooltip"], source["outputs"][i]["tooltip"])
                  for i, v in entry.get("outputs", {}).items()]
        for where, text, original in texts:
            assert text != original and script.search(text), f"{lang} {name} {where}: {text!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_category_names(lang):
    categories = load(lang, "main.json")["nodeCategories"]
    assert set(categories) == own_category_segments(), lang
    for segment, label in categories.items():
        assert filled(label), f"{lang} {segment}"
        if lang == "en":
            assert label == segment
        else:
            assert SCRIPT[lang].search(label), f"{lang} {segment}: {label!r}"
