"""Rendering throughput: certificates (PDF/A-3b with a QR code and the credential attached) and
badges (the design's base finished with a holder's QR and code, then baked), on one core.

Prints certificates/s and badges/s per layout with the median milliseconds each, what a
badge base (once per design) costs, and a holder's PDF summary of ten credentials. Issue 5's
target: at least 100 certificates per second per core, with QR codes. Every certificate is
for a different holder, code and QR code, so typst's memoisation of identical inputs cannot
make the figures; the compiler is reused, as a long-running worker reuses its own. Figures,
never assertions.

    .venv/bin/python bench/render.py [--seconds 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from microcred.rendering import badges, certificates, summary
from microcred.rendering.data import (
    BADGE_LAYOUTS,
    CERTIFICATE_LAYOUTS,
    Look,
    Shown,
    Signatory,
)
from microcred.vc import baking

CREDENTIAL = json.dumps(
    json.loads(
        (Path(__file__).resolve().parents[1] / "tests/vc/vectors/ob3-typical.json").read_text()
    )
)
SHOWN = Shown(
    recipient="Ada Lovelace",
    title="Data Analysis with Python",
    issuer="Demo University",
    issued="1 December 2026",
    code="ZFCMFRG4TP",
    url="https://creds.example.org/verify/ZFCMFRG4TP",
    description="Cleaning, exploring and modelling data with pandas.",
    skills=("Python", "Statistics", "Visualisation"),
    eu=("EQF level 5 · 5 ECTS credits",),
    signatories=(Signatory("Grace Hopper", "Dean"), Signatory("Alan Turing", "Registrar")),
)
ISSUED = datetime(2026, 12, 1, tzinfo=UTC)


def holder(n: int) -> Shown:
    code = f"{n:010d}"
    return replace(
        SHOWN, recipient=f"Holder Number {n}", code=code, url=f"https://creds.example.org/v/{code}"
    )


def rate(work: Callable[[int], object], seconds: float) -> tuple[float, float]:
    """(operations per second, median ms) of ``work(n)`` with n counting up, on this thread."""
    timings = []
    n = 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        start = time.perf_counter()
        work(n)
        timings.append(time.perf_counter() - start)
        n += 1
    return len(timings) / sum(timings), 1000 * statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    print(f"rendering on one core, best of {args.rounds} rounds of {args.seconds:g} s")
    print(f"{'':34} {'per s':>8} {'median ms':>10}")
    offset = 0

    def best(label: str, work: Callable[[int], object]) -> float:
        nonlocal offset
        work(10**8)  # warm: the compiler and fonts load once per worker
        results = []
        for _ in range(args.rounds):
            results.append(rate(lambda n, start=offset: work(start + n), args.seconds))
            offset += 10**6
        per_second, median = max(results)
        print(f"{label:34} {per_second:8.0f} {median:10.2f}")
        return per_second

    certificate_rates = []
    for layout in CERTIFICATE_LAYOUTS:
        look = Look(certificate_layout=layout)
        certificate_rates.append(
            best(
                f"certificate PDF/A ({layout})",
                lambda n, look=look: certificates.certificate_pdf(
                    look, holder(n), credential=CREDENTIAL, created=ISSUED
                ),
            )
        )
    best(
        "summary PDF, 10 credentials + QR",
        lambda n: summary.summary_pdf(
            f"Holder Number {n}",
            [
                summary.SummaryEntry(
                    title=SHOWN.title,
                    issuer=SHOWN.issuer,
                    issued=SHOWN.issued,
                    code=holder(10 * n + i).code,
                    url=holder(10 * n + i).url,
                    skills=SHOWN.skills,
                )
                for i in range(10)
            ],
            created=ISSUED,
        ),
    )
    for layout in BADGE_LAYOUTS:
        look = Look(badge_layout=layout)
        base_png = badges.badge_base_png(look, title=SHOWN.title, issuer=SHOWN.issuer)
        base_svg = badges.badge_base_svg(look, title=SHOWN.title, issuer=SHOWN.issuer)
        best(
            f"badge PNG, finished + baked ({layout})",
            lambda n, base=base_png: baking.bake_png(
                badges.badge_png(base, code=holder(n).code, url=holder(n).url), CREDENTIAL
            ),
        )
        best(
            f"badge SVG, finished + baked ({layout})",
            lambda n, base=base_svg: baking.bake_svg(
                badges.badge_svg(base, code=holder(n).code, url=holder(n).url), CREDENTIAL
            ),
        )
        best(
            f"badge base PNG, per design ({layout})",
            lambda n, look=look: badges.badge_base_png(look, title=f"Title {n}", issuer="Demo"),
        )
    slowest = min(certificate_rates)
    verdict = "met" if slowest >= 100 else "NOT met"
    print(
        f"\ntarget: ≥ 100 certificates/s per core with QR codes — slowest layout {slowest:.0f}/s: {verdict}"
    )


if __name__ == "__main__":
    main()
