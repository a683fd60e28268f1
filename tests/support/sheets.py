"""Inspection spreadsheets as inspectors keep them, written for the import tests."""

import csv
from datetime import datetime
from pathlib import Path

HEADER = ["序号", "问题来源", "单位", "案件编号", "问题类型", "问题描述", "发现人", "发现时间",
          "附件", "备注"]
ROWS = [
    [1, "案件评查", "U3301", "C2026-011", "讯问笔录未逐页签名捺指印", "第2页无签名", "insp01",
     datetime(2026, 1, 6, 9, 30), "dms://C2026-011/3", ""],  # noqa: DTZ001  cells are naive
    [2, "网上巡查", "U3302", "C2026-022", "property_unregistered", "扣押手机未开列清单",
     "insp02", "2026-01-07 14:00", "dms://C2026-022/1；dms://C2026-022/2", "复查"],
    [3, "交叉检查", "U3303", "", "引用法律依据错误", "行政处罚决定书引用条款错误", "insp01",
     "2026/1/8", "", ""],
]
BAD_ROWS = [
    [4, "传闻", "U3301", "C1", "other", "来源不对", "insp01", "2026-01-08 10:00", "", ""],
    [5, "自查", "", "C1", "迟到", "单位与类型都不对", "u3301", "2026-01-08 10:00", "", ""],
    [6, "自查", "U3301", "C1", "other", "时间不对", "u3301", "明天", "", ""],
]


def write_xlsx(path: Path, rows: list[list], header: list[str] = HEADER) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list], header: list[str] = HEADER,
              encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow([c.strftime("%Y-%m-%d %H:%M") if isinstance(c, datetime) else c
                             for c in row])
    return path
