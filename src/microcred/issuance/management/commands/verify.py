"""``microcred verify PATH``: verify a credential file (JSON, baked PNG or SVG; ``-`` = stdin).

Exit codes: 0 valid; 1 invalid (including revoked, suspended, expired, not yet valid);
2 could not decide (e.g. status list unreachable) or bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from microcred.issuance.verification import verify
from microcred.vc import baking
from microcred.vc.errors import VCError

MAX_INPUT = 8 * 1024 * 1024
SYMBOL = {"passed": "✓", "failed": "✗", "unknown": "?", "skipped": "–"}


class Command(BaseCommand):
    help = "Verify a credential file (JSON, baked PNG or SVG; '-' reads stdin). Exit 0 valid, 1 invalid, 2 undecided."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="credential file, or - for standard input")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = self._read(options["path"])
            text = baking.extract(data)
        except (OSError, VCError) as exc:
            self._finish(
                {"verdict": "unknown", "error": getattr(exc, "message", str(exc))},
                options["json"],
                2,
            )
            return
        report = verify(text)
        code = 0 if report.verdict == "valid" else 2 if report.verdict == "unknown" else 1
        if options["json"]:
            self._finish(report.as_dict(), True, code)
            return
        self.stdout.write(f"Verdict: {report.verdict.upper()}")
        if report.issuer_id:
            self.stdout.write(
                f"Issuer:  {report.issuer_name or ''} <{report.issuer_id}>".replace("  <", " <")
            )
        for check in report.checks:
            self.stdout.write(f"  {SYMBOL[check.outcome]} {check.name}: {check.message}")
        if code:
            sys.exit(code)

    def _read(self, path: str) -> bytes:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_INPUT + 1)
        else:
            file = Path(path)
            if file.stat().st_size > MAX_INPUT:
                raise OSError(f"{path} is larger than {MAX_INPUT} bytes")
            data = file.read_bytes()
        if len(data) > MAX_INPUT:
            raise OSError(f"input is larger than {MAX_INPUT} bytes")
        return data

    def _finish(self, payload: dict[str, Any], as_json: bool, code: int) -> None:
        if as_json:
            self.stdout.write(json.dumps(payload, indent=2, default=str))
        else:
            self.stderr.write(f"Could not verify: {payload.get('error')}")
        if code:
            sys.exit(code)
