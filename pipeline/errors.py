"""Exceptions a user can act on. The CLI prints ``str(error)`` as one line and exits non-zero."""
from __future__ import annotations


class BriefError(Exception):
    """Base class: an expected failure with a message that says what to do."""

    exit_code = 1


class CorpusError(BriefError):
    """The corpus directory or its metadata cannot be used as it is."""

    def __init__(self, path: object, problem: str, *, field: str | None = None, line: int | None = None):
        self.path, self.problem, self.field, self.line = str(path), problem, field, line
        where = self.path
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):
        return (type(self), (self.path, self.problem), {"field": self.field, "line": self.line})

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


class CorpusErrors(BriefError):
    """Several corpus problems found at once (``brief validate`` lists them all)."""

    def __init__(self, errors: list[CorpusError]):
        self.errors = errors
        head = f"{len(errors)} problems in the corpus:" if len(errors) > 1 else ""
        super().__init__("\n".join([head, *(f"  - {e}" for e in errors)]).strip() if head else str(errors[0]))


class CodebookError(BriefError):
    """The codebook file is invalid."""


class ConfigError(BriefError):
    """A setting or parameter is invalid."""


class NotebookFailed(BriefError):
    """A notebook raised, timed out or lost its kernel during a build."""

    def __init__(self, notebook: str, cell: int | None, error: str, saved_at: str | None):
        self.notebook, self.cell, self.error, self.saved_at = notebook, cell, error, saved_at
        where = f"in cell {cell}" if cell is not None else "before any cell ran"
        saved = f"; the failed notebook is saved at {saved_at}" if saved_at else ""
        super().__init__(f"notebook {notebook} failed {where}: {error}{saved}. The previous brief is unchanged.")


class BuildLocked(BriefError):
    """Another build holds the lock on the output directory."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class ExportError(BriefError):
    """HTML or PDF export failed."""


class QuoteIntegrityError(BriefError):
    """A quoted passage does not stand verbatim in its source."""
