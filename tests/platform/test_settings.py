"""Settings as a deployment sees them: each case starts a fresh ``microcred`` process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

PRODUCTION = {
    "MICROCRED_SECRET_KEY": "x7Gq2-kLp9_Zr4tVb8NcW1yHs6Jd3Fm0Qe5Ua-RiOoTgYnXlBvCwEzKjMhPsDf",
    "MICROCRED_MASTER_KEY": "q0Ecyb6DQd8rV2bUu5dPj3kTt8wW5nA1y0H7mXz4L2s",
    "MICROCRED_PUBLIC_URL": "https://credentials.example.org",
    "MICROCRED_ALLOWED_HOSTS": "credentials.example.org",
    "MICROCRED_DATABASE_URL": "postgresql://microcred@db.internal/microcred",
    "MICROCRED_EMAIL_URL": "smtp://mailer:secret@smtp.example.org:587",
    "MICROCRED_BROKER_URL": "redis://127.0.0.1:6379/0",
    "MICROCRED_BEHIND_PROXY": "1",
}


def microcred(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MICROCRED_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    executable = shutil.which("microcred") or os.path.join(
        os.path.dirname(sys.executable), "microcred"
    )
    return subprocess.run(  # noqa: S603 - our own console script
        [executable, *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_console_script_is_installed_next_to_python():
    assert os.path.exists(os.path.join(os.path.dirname(sys.executable), "microcred"))


def test_production_settings_pass_check_deploy():
    result = microcred("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_master_key_outside_debug_fails_loudly():
    env = {k: v for k, v in PRODUCTION.items() if k != "MICROCRED_MASTER_KEY"}
    result = microcred("check", env=env)
    assert result.returncode != 0
    assert "MICROCRED_MASTER_KEY (or MICROCRED_MASTER_KEY_FILE) must be set" in result.stderr


def test_missing_secret_key_outside_debug_fails_loudly():
    env = {k: v for k, v in PRODUCTION.items() if k != "MICROCRED_SECRET_KEY"}
    result = microcred("check", env=env)
    assert result.returncode != 0
    assert "MICROCRED_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MICROCRED_DEBUG", "perhaps", "MICROCRED_DEBUG='perhaps' is invalid"),
        (
            "MICROCRED_PUBLIC_URL",
            "credentials.example.org",
            "MICROCRED_PUBLIC_URL='credentials.example.org'",
        ),
        ("MICROCRED_DATABASE_URL", "oracle://x/y", "a sqlite:/// or postgresql:// URL"),
        ("MICROCRED_EMAIL_URL", "pigeon://loft", "MICROCRED_EMAIL_URL='pigeon://loft' is invalid"),
        ("MICROCRED_HSTS_SECONDS", "-5", "an integer >= 0"),
        ("MICROCRED_MASTER_KEY", "c2hvcnQ", "MICROCRED_MASTER_KEY must be 32 random bytes"),
        ("MICROCRED_INSTALLATION_ISSUER", "../x", "is not an organization slug"),
    ],
)
def test_bad_values_fail_at_start_with_the_variable_named(name, value, message):
    result = microcred("check", env={**PRODUCTION, name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_tasks_run_in_process_without_a_broker_and_on_workers_with_one():
    from django.conf import settings

    script = "from django.conf import settings; print(settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL)"
    eager = microcred("shell", "-v", "0", "-c", script, env={"MICROCRED_DEBUG": "1"})
    assert eager.stdout.split() == ["True", "memory://localhost/"], eager.stderr
    queued = microcred("shell", "-v", "0", "-c", script, env=PRODUCTION)
    assert queued.stdout.split() == ["False", "redis://127.0.0.1:6379/0"], queued.stderr
    assert settings.CELERY_TASK_ALWAYS_EAGER is True  # the suite itself runs without a broker
