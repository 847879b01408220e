"""Verification by code: how fast the public page and the API answer.

Usage: .venv/bin/python bench/verify_lookup.py [--credentials 5000] [--requests 2000]
Builds a throw-away SQLite database (or uses MICROCRED_DATABASE_URL), issues credentials
through the real services, then times the public page and the JSON endpoint in-process.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
data_dir = tempfile.mkdtemp(prefix="microcred-bench-")
os.environ.setdefault("MICROCRED_DATA_DIR", data_dir)
os.environ.setdefault("MICROCRED_SECRET_KEY", "bench-" + "x" * 50)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microcred.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from microcred.demo.data import load_demo  # noqa: E402
from microcred.issuance import codes  # noqa: E402
from microcred.issuance.models import IssuedCredential  # noqa: E402


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--credentials", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    organization, _ = load_demo()
    credential = IssuedCredential.objects.filter(organization=organization).first()
    assert credential is not None
    started = time.perf_counter()
    with transaction.atomic():
        rows = [
            IssuedCredential(
                organization=organization,
                achievement_id=credential.achievement_id,
                achievement_version_id=credential.achievement_version_id,
                verification_code=codes.generate(),
                recipient_name=f"Holder {n}",
                recipient_email=f"holder{n}@bench.test",
            )
            for n in range(args.credentials)
        ]
        IssuedCredential.objects.bulk_create(rows, batch_size=1000)
    print(f"inserted {args.credentials} credentials in {time.perf_counter() - started:.2f} s")

    all_codes = list(IssuedCredential.objects.values_list("verification_code", flat=True))
    client = Client()
    for label, url in (("page", "/verify/{}"), ("api", "/api/v1/verify/{}")):
        latencies = []
        for _ in range(args.requests):
            code = random.choice(all_codes)  # not security-relevant
            begin = time.perf_counter()
            response = client.get(url.format(code))
            latencies.append((time.perf_counter() - begin) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{label}: unexpected {response.status_code}")
        total = sum(latencies) / 1000
        print(
            f"{label:4}  {args.requests / total:7.0f} req/s in one process   "
            f"p50 {statistics.median(latencies):6.2f} ms   p95 {percentile(latencies, 0.95):6.2f} ms   "
            f"p99 {percentile(latencies, 0.99):6.2f} ms"
        )


if __name__ == "__main__":
    main()
