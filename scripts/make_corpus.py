#!/usr/bin/env python3
"""Write data/corpus/lessons.txt: the prose of lessons 00-12, the text lesson 13's GPT learns from.

    .venv/bin/python scripts/make_corpus.py

The course's own words are the corpus, so its licence is the course's. The script takes the
markdown cells of every lesson before 13, drops tables, code blocks and link targets, turns
inline code and emphasis into plain words, keeps only ASCII (curly quotes and dashes become
their plain forms; other characters are dropped), and joins the paragraphs with blank lines.
Running it again on the same lessons writes the same bytes. Afterwards it refreshes
data/MANIFEST.sha256.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib.data import DATA_DIR, write_manifest  # noqa: E402

OUT = DATA_DIR / "corpus" / "lessons.txt"
PLAIN = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
         "\u00d7": "x", "\u2212": "-", "\u2026": "...", "\u00b2": "2", "\u00b3": "3"}


def _clean(markdown: str) -> list[str]:
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)  # code blocks
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        lines = [ln for ln in para.splitlines() if not ln.lstrip().startswith("|")]  # tables
        para = " ".join(ln.strip() for ln in lines).strip()
        para = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", para)  # links and images: keep the words
        para = re.sub(r"^#+\s*", "", para)  # headings
        para = re.sub(r"^[-*]\s+", "", para)
        para = para.replace("`", "").replace("**", "").replace("*", "")
        para = "".join(PLAIN.get(c, c) for c in para)
        para = "".join(c for c in para if 32 <= ord(c) < 127)
        para = re.sub(r"\s+", " ", para).strip()
        if len(para) >= 40:  # drop stubs such as "Setting up"
            paragraphs.append(para)
    return paragraphs


def main() -> int:
    paragraphs: list[str] = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        if int(path.name[:2]) >= 13:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                paragraphs += _clean("".join(cell["source"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n\n".join(paragraphs) + "\n", encoding="ascii")
    write_manifest()
    print(f"wrote {OUT.relative_to(ROOT)}: {len(paragraphs)} paragraphs, {OUT.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
