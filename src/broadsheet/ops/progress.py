"""Progress of long operations: a bar on a terminal, nothing when output goes to a file or pipe."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import TaskID


class Progress:
    """Stages with a known amount of work; this base class shows nothing."""

    def note(self, text: str) -> None:
        """A stage whose length is unknown."""

    def start(self, label: str, total: int) -> None:
        """A stage of ``total`` units (rows, bytes)."""

    def advance(self, amount: int) -> None:
        """``amount`` more units of the current stage are done."""

    def update(self, completed: int) -> None:
        """``completed`` units of the current stage are done in all."""

    def done(self) -> None:
        """The current stage is finished."""


silent = Progress()


class Terminal(Progress):
    """rich's progress bar on standard error, shown only when that is a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as Bars

        console = Console(stderr=True)
        self.enabled = console.is_terminal
        self.bars = Bars(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                         TimeRemainingColumn(), console=console, transient=True,
                         disable=not self.enabled)
        self.task: TaskID | None = None

    def __enter__(self) -> Terminal:
        self.bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.bars.stop()

    def note(self, text: str) -> None:
        if self.enabled:
            self.bars.console.print(text)

    def start(self, label: str, total: int) -> None:
        self.task = self.bars.add_task(label, total=max(total, 1))

    def advance(self, amount: int) -> None:
        if self.task is not None:
            self.bars.advance(self.task, amount)

    def update(self, completed: int) -> None:
        if self.task is not None:
            self.bars.update(self.task, completed=completed)

    def done(self) -> None:
        if self.task is not None:
            self.bars.remove_task(self.task)
            self.task = None
