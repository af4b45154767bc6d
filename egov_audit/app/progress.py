"""A live progress bar for a crawl: pages fetched against the budget, queued, errors, rendered."""
from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class CrawlProgress:
    def __init__(self, console: Console, budget: int):
        self.progress = Progress(TextColumn("crawling"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
                                 console=console, transient=False, disable=not console.is_terminal)
        self.task = self.progress.add_task("crawl", total=budget, detail="")
        self.started = False

    def update(self, stats: dict, queued: int) -> None:
        if not self.started:
            self.progress.start()
            self.started = True
        pages = stats.get("egov/pages", 0)
        detail = (f"queued {queued} · errors {stats.get('egov/errors', 0)} · rendered {stats.get('egov/rendered', 0)}"
                  f" · robots-skipped {stats.get('egov/skipped_robots.txt', 0)}")
        self.progress.update(self.task, completed=min(pages, self.progress.tasks[0].total), detail=detail)

    def close(self) -> None:
        if self.started:
            self.progress.stop()
