"""Log lines as text or as JSON (CASEWATCH_LOG_FORMAT=json), one place for the worker and
the commands.

`logging_config` is a `logging.config.dictConfig` dictionary (Faust's Worker takes one as
`logging_config=`); `configure_logging` applies it to the root logger. A JSON line holds
`ts` (UTC, RFC 3339, milliseconds), `level`, `logger`, `message`, the exception or stack
when there is one, and the `extra=` fields of the call.
"""

import json
import logging
import logging.config
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO

ENV_VAR = "CASEWATCH_LOG_FORMAT"
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# attributes every LogRecord has; anything else on a record came from `extra=`
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message",
                                                                                 "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_format_from_env(env: Mapping[str, str] = os.environ) -> str:
    """`text` (the default) or `json`; ValueError for anything else."""
    value = env.get(ENV_VAR, "").strip().lower() or "text"
    if value not in FORMATS:
        raise ValueError(f"{ENV_VAR} must be one of {', '.join(FORMATS)}, not {value!r}")
    return value


def logging_config(log_format: str, level: str | int = "INFO",
                   stream: str | IO = "ext://sys.stderr") -> dict:
    """A dictConfig dictionary: one handler on `stream`, formatted as `log_format` says."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {log_format!r}")
    formatter = ({"()": JsonFormatter} if log_format == "json" else {"format": TEXT_FORMAT})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"casewatch": formatter},
        "handlers": {"casewatch": {"class": "logging.StreamHandler", "formatter": "casewatch",
                                   "stream": stream}},
        "root": {"level": level if isinstance(level, int) else level.upper(),
                 "handlers": ["casewatch"]},
    }


def configure_logging(log_format: str, level: str | int = "INFO",
                      stream: str | IO = "ext://sys.stderr") -> None:
    """Replace the root logger's handlers with one writing `log_format` lines."""
    logging.config.dictConfig(logging_config(log_format, level, stream))
