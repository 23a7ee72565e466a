"""Problem records: what went wrong, where, and how badly.

Every reader and validator reports through these, so a person always sees
`path:line: field: message` and a bad record never hides a good one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
