"""A valid problem record as other systems publish it, for tests of every way in."""

import json

GOOD = {
    "schema_version": 1, "problem_id": "CR-2026-0001", "source": "case_review",
    "unit_id": "U3301", "case_id": "C2026-001", "person_id": "P1",
    "problem_type": "record_unsigned", "description": "第3页讯问笔录无犯罪嫌疑人签名",
    "found_by": "insp01", "found_by_role": "inspector",
    "found_at": "2026-01-20T09:30:00+08:00", "attachments": ["dms://cases/C2026-001/12"],
}


def record(**change) -> dict:
    """GOOD with fields changed; a value of ... drops the field."""
    return {k: v for k, v in {**GOOD, **change}.items() if v is not ...}


def raw(**change) -> bytes:
    return json.dumps(record(**change), ensure_ascii=False).encode()
