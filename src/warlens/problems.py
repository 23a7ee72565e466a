"""Problem records: what went wrong, where, and how badly.

Every reader and validator reports through these, so a person always sees
`path:line: field: message` and a bad record never hides a good one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one place in one file.

    `line` is 1-based; only encoding and size problems may lack one.
    An error means the record (or the whole file) was not loaded; a warning
    means it loaded with something missing.
    """

    file: str
    line: int | None
    field: str
    message: str
    severity: Severity = ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        label = "" if self.severity == ERROR else "warning: "
        return f"{where}: {self.field}: {label}{self.message}"

    def to_dict(self) -> dict[str, object]:
        """A plain dict for JSON output and tables."""
        return asdict(self)


@dataclass
class Collector:
    """The problems of one file, collected as they are met: a bad record never hides
    the good ones. A warning that recurs all over a file is counted and said once."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    _counted: dict[str, list] = field(default_factory=dict, repr=False)

    def add(self, line: int | None, where: str, message: str,
            severity: Severity = ERROR) -> None:
        """Record a problem at `line` concerning `where` (a field, column or id)."""
        self.problems.append(Problem(self.file, line, where, message, severity))

    def count(self, what: str, line: int, message: str) -> None:
        """Count one occurrence of the file-wide warning `what`, said by `flush`.

        The first occurrence's line and message are kept; the message may use {n} (how
        many there were) and {s} (a plural s).
        """
        entry = self._counted.setdefault(what, [0, line, message])
        entry[0] += 1

    def flush(self) -> None:
        """Say each counted warning once, on the line it was first met."""
        for n, line, message in self._counted.values():
            self.add(line, "(file)", message.format(n=n, s="" if n == 1 else "s"), WARNING)
        self._counted.clear()


class WarlensError(Exception):
    """The one error type that leaves a loader: carries the line and field it concerns.

    `line` is 1-based or None; `field` is a dotted path such as `events[2].quote`.
    """

    def __init__(self, message: str, *, line: int | None = None, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.field = field

    def to_problem(self, file: str, severity: Severity = ERROR) -> Problem:
        """This error as a Problem in `file`."""
        return Problem(file=file, line=self.line, field=self.field or "(file)",
                       message=self.message, severity=severity)
