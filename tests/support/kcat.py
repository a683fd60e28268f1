"""Publish events with kcat (Debian's, librdkafka 2.0.2), as an integrator's shell script
does: its default partitioner (CRC32, `consistent_random`) places keys elsewhere than Java
and Python clients (murmur2)."""

import json
import shutil
import subprocess
from pathlib import Path


def kcat_publish(bootstrap: str, topic: str, events: list[dict], workdir: Path,
                 *extra: str) -> None:
    kcat = shutil.which("kcat")
    assert kcat, "kcat is missing: run deploy/os-deps (Debian package kcat)"
    lines = workdir / "kcat-events.tsv"
    lines.write_text("".join(f"{e['case_id']}\t{json.dumps(e)}\n" for e in events),
                     encoding="utf-8")
    sent = subprocess.run([kcat, "-P", "-l", "-K", "\t", "-b", bootstrap, "-t", topic,
                           *extra, str(lines)], capture_output=True, text=True, timeout=120)
    assert sent.returncode == 0, sent.stderr
