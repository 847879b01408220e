"""``microcred sweepattempts [--every SECONDS]``: close attempts past their deadline.

Celery beat runs the same task every minute where a broker is configured; ``./run`` (no
broker) runs this command in a loop beside the web server.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from microcred.exams.services.attempts import sweep_overdue


class Command(BaseCommand):
    help = (
        "Submit attempts whose deadline and network grace have passed (finished at the deadline)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=int, default=0, help="repeat every N seconds (0: run once and stop)"
        )

    def handle(self, *args: object, every: int = 0, **options: object) -> None:
        while True:
            closed = sweep_overdue()
            if closed or not every:
                self.stdout.write(f"closed {closed} overdue attempt(s)")
            if not every:
                return
            time.sleep(every)
