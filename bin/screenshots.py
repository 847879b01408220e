"""Screenshots of microcred's main pages for docs/screenshots/.

Builds a scratch installation (a temporary data directory, migrated, with the demo data that
``./run`` loads), serves it on a free local port and walks it with Playwright and Debian's
chromium. Rendered certificates are PDF pages turned into images by poppler's ``pdftoppm``.
Run through ``bin/screenshots``; nothing of the developer's own ``var/`` is touched.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The browser tests' Chromium settings, log-in step and PDF rendering (tests/browser/).
sys.path.insert(0, str(ROOT))
WIDTH, HEIGHT = 1280, 800
#: A screenshot larger than this is reduced to a 256-colour palette (UI colours survive it).
MAX_BYTES = 300 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def microcred(env: dict[str, str], *arguments: str) -> None:
    subprocess.run([sys.executable, "-m", "microcred", *arguments], env=env, check=True)  # noqa: S603


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode}); see its log above")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer at {url} within {timeout:.0f} s")


def save_png(content: bytes, path: Path, *, width: int | None = None) -> None:
    """Store ``content`` as an optimized PNG, scaled to ``width`` if given, and reduced to a
    palette when it would still be over ``MAX_BYTES``."""
    from PIL import Image

    with Image.open(io.BytesIO(content)) as opened:
        image = (
            opened.convert("RGBA") if opened.mode in ("RGBA", "LA", "P") else opened.convert("RGB")
        )
    if width and image.width > width:
        image = image.resize(
            (width, round(image.height * width / image.width)), Image.Resampling.LANCZOS
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    if buffer.tell() > MAX_BYTES:
        buffer = io.BytesIO()
        image.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(
            buffer, format="PNG", optimize=True
        )
    path.write_bytes(buffer.getvalue())
    print(
        f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {buffer.tell() // 1024} KB"
    )


def take(out: Path, base: str) -> None:
    from django.urls import reverse
    from playwright.sync_api import expect, sync_playwright
    from tests.browser.ocr import pdf_page_png
    from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, log_in

    from microcred.achievements.models import Achievement
    from microcred.demo import data as demo
    from microcred.exams.models import Exam
    from microcred.issuance.models import IssuedCredential

    achievement = Achievement.objects.get(organization__slug=demo.ORG_SLUG)
    exam = Exam.objects.get(organization__slug=demo.ORG_SLUG, title=demo.EXAM_TITLE)
    credential = IssuedCredential.objects.get(organization__slug=demo.ORG_SLUG)
    slug = demo.ORG_SLUG

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )

        errors: list[str] = []

        def session():
            context = browser.new_context(
                base_url=base, viewport={"width": WIDTH, "height": HEIGHT}
            )
            context.set_default_timeout(30_000)
            page = context.new_page()
            # A script error or CSP violation would make the pictures lie about the product.
            page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
            page.on(
                "console",
                lambda msg: (
                    errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None
                ),
            )
            return context, page

        def shot(page, name: str) -> None:
            page.wait_for_load_state("networkidle")
            save_png(page.screenshot(), out / name)

        # Signed out: sign-in, the public verification page.
        context, page = session()
        page.goto(reverse("accounts:login"))
        shot(page, "sign-in.png")
        page.goto(reverse("public:verify_code", args=[credential.verification_code]))
        expect(page.locator(".verdict")).to_contain_text("Valid")
        shot(page, "verification-page.png")
        context.close()

        # Staff: the back office, a definition, its design, an exam.
        context, page = session()
        log_in(page, demo.ADMIN, demo.PASSWORD)
        page.goto(reverse("backoffice:dashboard", args=[slug]))
        shot(page, "back-office.png")
        page.goto(reverse("backoffice:achievement", args=[slug, achievement.pk]))
        shot(page, "credential-definition.png")
        page.goto(reverse("backoffice:achievement_design", args=[slug, achievement.pk]))
        page.wait_for_function(
            "['certificate-preview', 'badge-preview'].every((id) => {"
            " const image = document.getElementById(id);"
            " return image.complete && image.naturalWidth > 0; })"
        )
        shot(page, "design-editor.png")
        page.goto(reverse("backoffice:exam", args=[slug, exam.pk]))
        shot(page, "exam-authoring.png")
        context.close()

        # A candidate on the first question of the demo exam.
        context, page = session()
        log_in(page, demo.LEARNERS[1][1], demo.PASSWORD)
        page.goto(reverse("learner:exam", args=[exam.uuid]))
        page.get_by_role("button", name="Start the exam").click()
        expect(page.locator(".exam-bar[data-ready=true]")).to_have_count(1)
        # Answer whichever question comes first (the order may be shuffled).
        kind = page.locator("#question-form").get_attribute("data-kind")
        if kind == "short_text":
            page.fill("#answer-text", "read_csv")
        elif kind == "numeric":
            page.fill("#answer-value", "4")
        else:
            page.locator(
                "#question-form fieldset input:is([type=radio], [type=checkbox])"
            ).first.check()
        expect(page.locator("#save-status")).to_contain_text("Saved at")
        shot(page, "exam-question.png")
        context.close()

        # The holder: the wallet, the downloads, and one of them verified by upload.
        context, page = session()
        log_in(page, demo.LEARNERS[0][1], demo.PASSWORD)
        page.goto(reverse("learner:credentials"))
        shot(page, "wallet.png")
        downloads = {}
        for kind in ("pdf", "png"):
            with page.expect_download() as started:
                page.locator(f"a[href$='/download/{kind}']").first.click()
            downloads[kind] = started.value.path().read_bytes()
        save_png(pdf_page_png(downloads["pdf"]), out / "certificate.png", width=WIDTH)
        save_png(downloads["png"], out / "badge.png")
        page.goto(reverse("public:verify_file"))
        page.set_input_files(
            "input[type=file]",
            files=[{"name": "badge.png", "mimeType": "image/png", "buffer": downloads["png"]}],
        )
        page.get_by_role("button", name="Verify file").click()
        expect(page.get_by_role("heading", name="✓ Valid credential")).to_be_visible()
        shot(page, "verify-upload.png")
        context.close()
        browser.close()
    if errors:
        raise SystemExit("errors in the browser:\n" + "\n".join(errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out = parser.parse_args().out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="microcred-screenshots-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MICROCRED_") or key == "MICROCRED_CHROMIUM"
    }
    # Debug mode as in ./run: keys kept in the scratch directory, static files served by Django.
    env |= {
        "MICROCRED_DEBUG": "1",
        "MICROCRED_DATA_DIR": str(scratch / "var"),
        "MICROCRED_PUBLIC_URL": base,
        "DJANGO_SETTINGS_MODULE": "microcred.settings",
    }
    server = None
    try:
        microcred(env, "migrate", "--noinput", "-v", "0")
        microcred(env, "demo")
        with open(scratch / "server.log", "wb") as log:
            server = subprocess.Popen(  # noqa: S603 - our own server
                [sys.executable, "-m", "microcred", "runserver", "--noreload", f"127.0.0.1:{port}"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_up(f"{base}/healthz", server)
        os.environ.clear()
        os.environ.update(env)
        # Playwright's sync API runs an event loop in this thread; the ORM reads here are
        # plain synchronous code.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        import django

        django.setup()
        print(f"Screenshots of {base} into {out}:")
        take(out, base)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
            if server.returncode not in (0, -15):
                sys.stdout.write((scratch / "server.log").read_text(errors="replace")[-4000:])
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
