"""Sign/verify throughput of the Data Integrity cryptosuites on a typical OB3 credential.

Prints, per cryptosuite, sign/s and verify/s on one core and the median milliseconds per
credential (issue 3 targets: eddsa-rdfc-2022 ≤ 2 ms median for each of sign and verify,
eddsa-jcs-2022 ≤ 0.5 ms), and the JS reference (``interop/js/bench.mjs``: @digitalbazaar/vc
``issue`` / ``verifyCredential`` with eddsa-rdfc-2022, warm jsonld.js caches) measured in the same
run. Figures, never assertions; on a busy machine run it a few times.

Every signing operation signs a credential with a different ``id`` and verification cycles
through a pool of distinct signed credentials, so the Python figures cannot come from a cache
of earlier results — only processed contexts and compiled shape templates
(``microcred.vc.shapes``: JSON-LD expansion compiled once per document shape, values
substituted, canonicalized in full every time) are reused, as in a long-running issuer or
verifier. The "new shape" row turns templates off: what a document of a shape never seen
before costs (every one-off credential a verifier receives).

    .venv/bin/python bench/vc.py [--seconds 2] [--rounds 3] [--js-n 200] [--no-js]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.vc import dataintegrity as di
from microcred.vc import jsonld, multikey

ROOT = Path(__file__).resolve().parents[1]
CREDENTIAL = ROOT / "tests/vc/vectors/ob3-typical.json"
JS_DIR = ROOT / "interop/js"
POOL = 64


def measure(action: Callable[[], Any], seconds: float) -> tuple[float, float]:
    """(median CPU seconds, median wall seconds) per call of ``action`` over ``seconds`` of wall
    time, after a warm-up. CPU time (this thread) is the per-core figure and holds up when other
    processes share the cores; wall time is shown next to it."""
    for _ in range(20):
        action()
    cpu, wall = [], []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(cpu) < 10:
        start, start_cpu = time.perf_counter(), time.thread_time()
        action()
        cpu.append(time.thread_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return statistics.median(cpu), statistics.median(wall)


def python_figures(
    document: dict[str, Any], seconds: float, rounds: int
) -> dict[str, tuple[float, float]]:
    """{cryptosuite: (sign median ms, verify median ms)}: the median over ``rounds`` rounds."""
    key = Ed25519PrivateKey.generate()
    did = multikey.did_key(key.public_key())
    document = {**document, "issuer": {**document["issuer"], "id": did}}
    vm = multikey.did_key_verification_method(did)
    variants = [
        {**document, "id": f"urn:uuid:00000000-0000-4000-8000-{i:012d}"} for i in range(POOL)
    ]
    results: dict[str, tuple[float, float]] = {}
    runs = [(suite, suite, True) for suite in di.CRYPTOSUITES]
    runs.append((f"{di.EDDSA_RDFC_2022}, new shape", di.EDDSA_RDFC_2022, False))
    for label, suite, templates in runs:
        jsonld.SHAPE_TEMPLATES.enabled = templates
        signed = [
            di.sign(variant, key=key, verification_method=vm, cryptosuite=suite)
            for variant in variants
        ]
        for credential in signed:  # sanity, not timing
            if not di.all_verified(di.verify(credential, resolve_key=multikey.did_key_public_key)):
                raise SystemExit(f"{suite}: the benchmark credential does not verify")
        to_sign = itertools.cycle(variants)
        to_verify = itertools.cycle(signed)
        sign_ms, verify_ms, wall = [], [], []
        for _ in range(rounds):
            sign_cpu, sign_wall = measure(
                lambda suite=suite, to_sign=to_sign: di.sign(
                    next(to_sign), key=key, verification_method=vm, cryptosuite=suite
                ),
                seconds,
            )
            verify_cpu, verify_wall = measure(
                lambda to_verify=to_verify: di.verify(
                    next(to_verify), resolve_key=multikey.did_key_public_key
                ),
                seconds,
            )
            sign_ms.append(1000 * sign_cpu)
            verify_ms.append(1000 * verify_cpu)
            wall.append((1000 * sign_wall, 1000 * verify_wall))
        results[label] = (statistics.median(sign_ms), statistics.median(verify_ms))
        spread = (
            f"  (CPU ms per round: sign {', '.join(f'{v:.3f}' for v in sign_ms)}; "
            f"verify {', '.join(f'{v:.3f}' for v in verify_ms)}; wall ms median: "
            f"sign {statistics.median(w[0] for w in wall):.3f}, "
            f"verify {statistics.median(w[1] for w in wall):.3f})"
        )
        print(_row(f"python {label}", *results[label]) + spread)
    jsonld.SHAPE_TEMPLATES.enabled = True
    return results


def js_reference_figures(document: dict[str, Any], n: int) -> dict[str, Any] | None:
    """The JS reference on the same credential in this run: ``node interop/js/bench.mjs`` (
    eddsa-rdfc-2022 with @digitalbazaar/vc, offline document loader, ``n`` timed runs after a
    warm-up). None, with a printed note, when node or the installed harness is missing."""
    node = shutil.which("node")
    if node is None:
        print("JS reference: skipped (node is not installed)")
        return None
    if not (JS_DIR / "node_modules").is_dir():
        print("JS reference: skipped (interop/js/node_modules missing; run bin/interop-setup)")
        return None
    request = json.dumps({"credential": document, "n": n, "warmup": max(10, n // 10)})
    try:
        run = subprocess.run(  # noqa: S603 - fixed argv: node and the repository's script
            [node, str(JS_DIR / "bench.mjs")],
            input=request,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=JS_DIR,
            check=False,
        )
    except subprocess.TimeoutExpired:
        print("JS reference: skipped (bench.mjs timed out)")
        return None
    try:
        figures: dict[str, Any] = json.loads(run.stdout)
    except json.JSONDecodeError:
        figures = {}
    if run.returncode != 0 or "signMedianMs" not in figures:
        detail = figures.get("error") or run.stderr.strip().splitlines()[-1:] or run.returncode
        print(f"JS reference: failed ({detail})")
        return None
    return figures


def _row(label: str, sign_ms: float, verify_ms: float) -> str:
    return f"{label:<37}{1000 / sign_ms:>9.0f}{sign_ms:>10.3f}{1000 / verify_ms:>11.0f}{verify_ms:>11.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per figure (median)")
    parser.add_argument("--js-n", type=int, default=200, help="timed JS runs of sign and verify")
    parser.add_argument("--no-js", action="store_true", help="skip the JS reference")
    args = parser.parse_args()

    document = json.loads(CREDENTIAL.read_text(encoding="utf-8"))
    size = len(json.dumps(document, separators=(",", ":")).encode())
    print(f"credential: {CREDENTIAL.name}, {size} bytes compact JSON, contexts VC 2.0 + OB 3.0.3")
    print("one core, per credential: median CPU ms of the medians of --rounds rounds;")
    print("sign/s and verify/s are 1000 / median ms (JS: wall-clock medians from bench.mjs)")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"load average at start: {load} on {os.cpu_count()} cores (busy machine = slower figures)"
    )
    print(f"{'':<37}{'sign/s':>9}{'sign ms':>10}{'verify/s':>11}{'verify ms':>11}")
    python_figures(document, args.seconds, args.rounds)
    if args.no_js:
        print("JS reference: skipped (--no-js)")
        return
    js = js_reference_figures(document, args.js_n)
    if js is not None:
        print(_row("js eddsa-rdfc-2022", js["signMedianMs"], js["verifyMedianMs"]))
        versions = ", ".join(f"{name} {version}" for name, version in js["versions"].items())
        print(f"  (node {js['node']}, n={js['n']}; {versions})")
        print("JS reference: eddsa-jcs-2022 not measured (no jcs cryptosuite in interop/js)")


if __name__ == "__main__":
    main()
