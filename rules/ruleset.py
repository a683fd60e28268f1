"""The rules in force as one versioned whole: the catalogue (`catalogue/*.toml`), the work
calendar (`calendar.toml`), the measures (`measures.toml`) and the scoring model
(`scoring.toml`), read from one directory: `rules/` itself, or one given as `--catalogue DIR`
laid out the same way.

Its version names what produced a warning. The content hash is SHA-256 over the files in a
fixed order (the rule files by name, then calendar, measures, scoring), each framed by its
name relative to the directory and its length, so the same files give the same hash wherever
they lie and a byte changed anywhere gives another. `VERSION.toml` may add a human version
(`version = "2026.12-1"`); it is a label and not hashed. Every file is read once: what is
hashed is exactly what is parsed.
"""

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rules.calendar import WorkCalendar
from rules.catalogue import Catalogue, CatalogueError, parse_catalogue
from rules.measures import MeasureDef, parse_measures
from rules.scoring import ScoringModel, parse_scoring

RULES_DIR = Path(__file__).parent
RULE_FILES = "catalogue"
CALENDAR, MEASURES, SCORING = "calendar.toml", "measures.toml", "scoring.toml"
VERSION_FILE = "VERSION.toml"
HUMAN_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")


@dataclass(frozen=True)
class RuleSet:
    catalogue: Catalogue  # carries `version`
    calendar: WorkCalendar
    measures: tuple[MeasureDef, ...]
    scoring: ScoringModel
    content_hash: str  # "sha256:<64 hex digits>"
    human_version: str | None

    @property
    def version(self) -> str:
        return self.catalogue.version


def format_version(content_hash: str, human: str | None) -> str:
    """`2026.12-1 (sha256:…)`, or the hash alone without a human version."""
    return f"{human} ({content_hash})" if human else content_hash


def read_files(directory: Path) -> dict[str, bytes]:
    """The hashed files' bytes by name relative to `directory` (`catalogue/x.toml`, ...)."""
    rule_dir = directory / RULE_FILES
    if not rule_dir.is_dir():
        raise CatalogueError(f"{directory}: no {RULE_FILES}/ directory of rule files")
    files = {f"{RULE_FILES}/{p.name}": p.read_bytes() for p in rule_dir.glob("*.toml")}
    for name in (CALENDAR, MEASURES, SCORING):
        try:
            files[name] = (directory / name).read_bytes()
        except OSError as exc:
            raise CatalogueError(f"{directory}: cannot read {name}: {exc.strerror}") from exc
    return files


def hash_order(names) -> list[str]:
    rules = sorted(n for n in names if n.startswith(RULE_FILES + "/"))
    return rules + [n for n in (CALENDAR, MEASURES, SCORING) if n in names]


def content_hash(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in hash_order(files):
        data, label = files[name], name.encode("utf-8")
        digest.update(b"%d:%s\n%d:" % (len(label), label, len(data)))
        digest.update(data)
    return "sha256:" + digest.hexdigest()


def parse_human_version(data: bytes) -> str:
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{VERSION_FILE}: {exc}") from exc
    version = table.get("version")
    if set(table) != {"version"} or not isinstance(version, str) \
            or not HUMAN_VERSION.match(version):
        raise CatalogueError(f"{VERSION_FILE}: must hold only version = \"…\" (letters, "
                             f"digits, '.', '_', '-'; at most 32), not {table!r}")
    return version


def parse_ruleset(files: Mapping[str, bytes], human_version: str | None = None) -> RuleSet:
    """The rule set from its files' bytes by relative name (as `read_files` gives them)."""
    digest = content_hash(files)
    rule_files = {n.split("/", 1)[1]: b for n, b in files.items() if n.startswith(RULE_FILES + "/")}
    catalogue = parse_catalogue(rule_files, format_version(digest, human_version))

    def text(name: str) -> str:
        try:
            return files[name].decode("utf-8")
        except (KeyError, UnicodeDecodeError) as exc:
            raise CatalogueError(f"{name}: {exc!r}") from exc

    try:
        calendar = WorkCalendar.from_toml(text(CALENDAR))
    except (tomllib.TOMLDecodeError, TypeError, ValueError) as exc:
        raise CatalogueError(f"{CALENDAR}: {exc!r}") from exc
    try:
        measures = parse_measures(text(MEASURES))
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogueError(f"{MEASURES}: {exc!r}") from exc
    deadline_ids = {r.id for r in catalogue.deadlines}
    for m in measures:
        if m.due_rule is not None and m.due_rule not in deadline_ids:
            raise CatalogueError(f"{MEASURES}: [{m.name}] due_rule {m.due_rule!r} is not a "
                                 "deadline rule of the catalogue")
    try:
        scoring = parse_scoring(text(SCORING))
    except ValueError as exc:
        raise CatalogueError(f"{SCORING}: {exc}") from exc
    return RuleSet(catalogue, calendar, measures, scoring, digest, human_version)


def read_ruleset_files(directory: Path = RULES_DIR) -> tuple[dict[str, bytes], str | None]:
    """The hashed files of `directory` and its human version, as `parse_ruleset` takes them."""
    directory = Path(directory)
    files = read_files(directory)
    version_path = directory / VERSION_FILE
    human = parse_human_version(version_path.read_bytes()) if version_path.exists() else None
    return files, human


def load_ruleset(directory: Path = RULES_DIR) -> RuleSet:
    """The rule set in `directory`, checked whole; CatalogueError names the faulty file."""
    return parse_ruleset(*read_ruleset_files(directory))

