"""The dossier documents `document_filed` may name, read from `document_types.toml`."""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DOCUMENT_TYPES_FILE = Path(__file__).with_name("document_types.toml")


@dataclass(frozen=True, slots=True)
class DocumentType:
    code: str
    label_zh: str
    label_en: str


def load_document_types(path: Path = DOCUMENT_TYPES_FILE) -> dict[str, DocumentType]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {code: DocumentType(code, d["label_zh"], d["label_en"]) for code, d in data.items()}


DOCUMENT_TYPES = load_document_types()
DocType = Literal[tuple(DOCUMENT_TYPES)]  # the contract's values, in the file's order
