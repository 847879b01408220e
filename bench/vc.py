"""Sign/verify throughput of the Data Integrity cryptosuites on a typical OB3 credential.

Prints, per cryptosuite, sign/s and verify/s on one core and the median milliseconds per
credential (issue 3 targets: eddsa-rdfc-2022 ≤ 2 ms median for each of sign and verify,
eddsa-jcs-2022 ≤ 0.5 ms). Python side only; figures, never assertions.

    .venv/bin/python bench/vc.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.vc import dataintegrity as di
from microcred.vc import multikey

CREDENTIAL = Path(__file__).resolve().parents[1] / "tests/vc/vectors/ob3-typical.json"


def measure(action: Callable[[], Any], seconds: float) -> tuple[float, float]:
    """(operations per second, median ms) after a warm-up."""
    for _ in range(20):
        action()
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return len(samples) / sum(samples), statistics.median(samples) * 1000


def js_reference_figures() -> dict[str, tuple[float, float]] | None:
    """TODO(issue 3, interop): run the JS reference (@digitalbazaar/vc + eddsa-rdfc-2022 /
    eddsa-jcs-2022 cryptosuites, offline document loader) on the same credential in this run
    and return {cryptosuite: (sign/s, verify/s)}. Lives with the interop JS folder."""
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()

    document = json.loads(CREDENTIAL.read_text(encoding="utf-8"))
    key = Ed25519PrivateKey.generate()
    did = multikey.did_key(key.public_key())
    document["issuer"]["id"] = did
    vm = multikey.did_key_verification_method(did)
    size = len(json.dumps(document, separators=(",", ":")).encode())
    print(f"credential: {CREDENTIAL.name}, {size} bytes compact JSON, contexts VC 2.0 + OB 3.0.3")
    print(f"{'cryptosuite':<18}{'sign/s':>10}{'sign ms':>10}{'verify/s':>10}{'verify ms':>11}")
    for suite in di.CRYPTOSUITES:
        signed = di.sign(document, key=key, verification_method=vm, cryptosuite=suite)
        assert di.all_verified(di.verify(signed, resolve_key=multikey.did_key_public_key))
        sign_rate, sign_ms = measure(
            lambda suite=suite: di.sign(
                document, key=key, verification_method=vm, cryptosuite=suite
            ),
            args.seconds,
        )
        verify_rate, verify_ms = measure(
            lambda signed=signed: di.verify(signed, resolve_key=multikey.did_key_public_key),
            args.seconds,
        )
        print(
            f"{suite:<18}{sign_rate:>10.0f}{sign_ms:>10.3f}{verify_rate:>10.0f}{verify_ms:>11.3f}"
        )
    js = js_reference_figures()
    print(
        "JS reference: "
        + ("not measured (TODO, see js_reference_figures)" if js is None else str(js))
    )


if __name__ == "__main__":
    main()
