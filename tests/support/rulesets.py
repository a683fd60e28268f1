"""Copies of the installed rule set to change in a test: a directory laid out like rules/
(what `--catalogue DIR` takes)."""

import shutil
from pathlib import Path

from rules.ruleset import CALENDAR, MEASURES, RULE_FILES, RULES_DIR, SCORING, VERSION_FILE


def copy_rules(target: Path, human_version: bool = True) -> Path:
    """rules/ data files copied to `target` (VERSION.toml too, unless told not to)."""
    shutil.copytree(RULES_DIR / RULE_FILES, target / RULE_FILES)
    for name in (CALENDAR, MEASURES, SCORING, *([VERSION_FILE] if human_version else [])):
        shutil.copy(RULES_DIR / name, target / name)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in the file, which must hold it."""
    text = path.read_text(encoding="utf-8")
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
