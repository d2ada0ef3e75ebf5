#!/usr/bin/env python3
"""Write the hosted-runtime cell (course_lib.hosted.first_cell) as every lesson's first code cell.

    .venv/bin/python scripts/hosted_cell.py           # after changing settings.REPOSITORY_URL
    .venv/bin/python scripts/hosted_cell.py --check   # exit 1 if a lesson's cell differs

Only that cell changes; each notebook is loaded and written back at once, formatting kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from course_lib.hosted import CELL_MARK, first_cell
from course_lib.settings import REPOSITORY_URL

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def with_cell(nb: dict, source: str) -> bool:
    """Put ``source`` as ``nb``'s first code cell (replacing an earlier version); True if it changed."""
    lines = source.splitlines(keepends=True)
    codes = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    first = nb["cells"][codes[0]]
    if "".join(first["source"]).startswith(CELL_MARK):
        if first["source"] == lines:
            return False
        first["source"] = lines
        return True
    nb["cells"].insert(codes[0], {"cell_type": "code", "execution_count": None, "id": "hosted-runtime",
                                  "metadata": {}, "outputs": [], "source": lines})
    renumber(nb)
    return True


def renumber(nb: dict) -> None:
    """Number the code cells 1, 2, ... (results included) as a run from the top in a fresh kernel does."""
    count = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "".join(cell["source"]).strip():
            count += 1
            cell["execution_count"] = count
            for out in cell["outputs"]:
                if "execution_count" in out:
                    out["execution_count"] = count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the hosted-runtime cell into every lesson.")
    parser.add_argument("--check", action="store_true", help="only report lessons whose cell differs")
    args = parser.parse_args(argv)
    source = first_cell(REPOSITORY_URL)
    stale = []
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        if with_cell(nb, source):
            stale.append(path.name)
            if not args.check:
                out = json.dumps(nb, indent=1, ensure_ascii=False) + ("\n" if text.endswith("\n") else "")
                path.write_text(out, encoding="utf-8")
    if args.check and stale:
        print(f"the hosted-runtime cell differs in {', '.join(stale)}: run scripts/hosted_cell.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
