"""Files the page ships, written from their sources so they cannot drift apart:

    web/js/lib/catalog.js     the catalog the widget logic reads (nodes.routes.page_catalog()),
                              imported with the extension: registering a node never waits on a
                              request
    web/js/lib/messages.js    the page's texts in every language (locales/<lang>/page.json)
    web/docs/<Node>.md        the help ComfyUI shows for a node (English), and
    web/docs/<Node>/<lang>.md the same in each translation, from locales/<lang>/nodeDefs.json —
                              the same text as the tooltips

    python3 tools/make_web.py           write them
    python3 tools/make_web.py --check   write nothing; exit 1 if any is out of date
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pack_loader  # noqa: E402  (the tools folder is not a package)

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
LOCALES = ROOT / "locales"
LANGUAGES = ("en", "zh", "ru")
PACK_MODULE = "custom_nodes_model_gateway_web"
HEADER = "// Written by tools/make_web.py from {source}: edit that, then run the tool.\n"
LITERAL = re.compile(r"\{'([{}@|])'\}")


def load_pack():
    return pack_loader.load_pack(PACK_MODULE)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def js_module(name: str, data, source: str) -> str:
    body = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    return HEADER.format(source=source) + f"export const {name} = {body};\n"


def catalog_js(pack) -> str:
    routes = sys.modules[f"{pack.__name__}.nodes.routes"]
    return js_module("CATALOG", routes.page_catalog(), "providers/catalog.py")


def messages_js() -> str:
    messages = {lang: read_json(LOCALES / lang / "page.json") for lang in LANGUAGES}
    return js_module("MESSAGES", messages, "locales/<lang>/page.json")


def shown(message: str) -> str:
    """A vue-i18n message (as nodeDefs.json holds it) as the text it renders."""
    return LITERAL.sub(r"\1", message)


def cell(text: str) -> str:
    return shown(text).replace("|", "\\|").replace("\n", " ")


def node_doc(name: str, entry: dict, words: dict) -> str:
    lines = [f"# {shown(entry['display_name'])}", "", shown(entry.get("description", "")), ""]
    for section, heading in (("inputs", words["inputs"]), ("outputs", words["outputs"])):
        items = entry.get(section) or {}
        if not items:
            continue
        lines += [f"## {heading}", "", f"| {words['name']} | {words['what']} |", "|---|---|"]
        for item in items.values():
            lines.append(f"| `{cell(item['name'])}` | {cell(item.get('tooltip', ''))} |")
        lines.append("")
    lines += [f"*{words['keys']}*", ""]
    return "\n".join(lines)


def docs() -> dict[Path, str]:
    files = {}
    for lang in LANGUAGES:
        words = read_json(LOCALES / lang / "page.json")["docs"]
        for name, entry in read_json(LOCALES / lang / "nodeDefs.json").items():
            path = WEB / "docs" / (f"{name}.md" if lang == "en" else f"{name}/{lang}.md")
            files[path] = node_doc(name, entry, words)
    return files


def wanted(pack) -> dict[Path, str]:
    files = {WEB / "js" / "lib" / "catalog.js": catalog_js(pack),
             WEB / "js" / "lib" / "messages.js": messages_js()}
    files.update(docs())
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    files = wanted(load_pack())
    stale = [path for path, text in files.items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    extra = sorted(set((WEB / "docs").rglob("*.md")) - set(files)) if (WEB / "docs").exists() else []
    if args.check:
        for path in stale:
            print(f"OUT OF DATE {path.relative_to(ROOT)}")
        for path in extra:
            print(f"NOT WRITTEN BY THE TOOL {path.relative_to(ROOT)} (no such node any more?)")
        if stale or extra:
            print("run python3 tools/make_web.py")
        return 1 if stale or extra else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
        print(f"written {path.relative_to(ROOT)}")
    for path in extra:
        path.unlink()
        print(f"removed {path.relative_to(ROOT)}")
    print(f"{len(files) - len(stale)} of {len(files)} files were up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
