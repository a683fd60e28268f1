"""Write one section of docs/benchmarks.md, keeping the others."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADER = ("# Benchmarks\n\nFigures from the scripts under `bench/`, each against a baseline "
          "measured in the same run. Re-run a script to refresh its section.\n")


def write_section(name: str, body: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    marker_start, marker_end = f"<!-- {name} -->", f"<!-- /{name} -->"
    section = f"{marker_start}\n## {name}\n\n{body.strip()}\n{marker_end}"
    pattern = re.compile(re.escape(marker_start) + ".*?" + re.escape(marker_end), re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else (
        text.rstrip() + "\n\n" + section + "\n")
    DOC.write_text(text, encoding="utf-8")
