"""``microcred verifyattemptlogs [ATTEMPT_ID …]``: recompute the hash chains of attempt logs.

Exit code 0 when every chain is intact, 1 when any event was changed, removed or inserted.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandParser

from microcred.exams import log
from microcred.exams.models import Attempt


class Command(BaseCommand):
    help = "Verify the hash-chained logs of attempts (all, or the ids given). Exit 1 on tampering."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="attempt ids (default: all)")

    def handle(self, *args: object, ids: list[int] | None = None, **options: object) -> None:
        attempts = Attempt.objects.order_by("pk")
        if ids:
            attempts = attempts.filter(pk__in=ids)
        checked = broken = 0
        for attempt in attempts.iterator():
            checked += 1
            problems = log.verify_chain(attempt)
            if problems:
                broken += 1
                for problem in problems:
                    where = f"event {problem.sequence}" if problem.sequence else "head"
                    self.stdout.write(f"attempt {attempt.pk}, {where}: {problem.message}")
        self.stdout.write(f"{checked} attempt log(s) checked, {broken} broken")
        if broken:
            sys.exit(1)
