"""A finding of `casewatch doctor`: healthy or not, said in Chinese, then in English."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    zh: str
    en: str

    def __str__(self) -> str:
        # both marks are 14 columns wide on a terminal (a Chinese character takes two)
        mark = "[正常 OK]     " if self.ok else "[问题 PROBLEM]"
        return f"{mark} {self.zh}\n{' ' * 15}{self.en}"


def summary(findings: list[Finding]) -> Finding:
    problems = sum(not f.ok for f in findings)
    if not problems:
        return Finding(True, f"全部 {len(findings)} 项检查正常。",
                       f"All {len(findings)} checks passed.")
    return Finding(False, f"{len(findings)} 项检查中发现 {problems} 个问题，见上。",
                   f"{problems} of {len(findings)} checks found a problem, see above.")


def first_line(exc: BaseException) -> str:
    """An exception in one short line: its message without a server's stack trace."""
    text = " ".join(str(exc).split()).split(" Stack trace")[0][:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
