"""`casewatch schema --out DIR`: JSON Schema files integrators validate against."""

import json
from pathlib import Path

from schemas.event import EVENT_ADAPTER, EVENT_MODELS
from schemas.measure_state import MeasureState
from schemas.problem import Problem
from schemas.problem_action import ProblemAction
from schemas.warning import Warning


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("schema", help="write the JSON Schema files of the contract")
    p.add_argument("--out", required=True, help="directory to write into")
    p.set_defaults(func=run)


def schemas() -> dict[str, dict]:
    out = {
        "event.schema.json": EVENT_ADAPTER.json_schema(),
        "warning.schema.json": Warning.model_json_schema(),
        "measure-state.schema.json": MeasureState.model_json_schema(),
        "problem.schema.json": Problem.model_json_schema(),
        "problem-action.schema.json": ProblemAction.model_json_schema(),
    }
    for name, model in EVENT_MODELS.items():
        out[f"events/{name}.schema.json"] = model.model_json_schema()
    for name, schema in out.items():
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema.setdefault("title", name.removesuffix(".schema.json"))
    return out


def run(args) -> int:
    root = Path(args.out)
    for name, schema in schemas().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(schemas())} schema files to {root}")
    return 0
