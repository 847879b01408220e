from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from microcred.core import env


def test_bool_accepts_the_usual_spellings_and_rejects_others():
    assert env.env_bool("X", False, environ={"MICROCRED_X": "yes"}) is True
    assert env.env_bool("X", True, environ={"MICROCRED_X": "0"}) is False
    assert env.env_bool("X", True, environ={}) is True
    with pytest.raises(ImproperlyConfigured, match="MICROCRED_X='maybe' is invalid"):
        env.env_bool("X", False, environ={"MICROCRED_X": "maybe"})


def test_int_checks_type_and_bounds():
    assert env.env_int("N", 3, environ={"MICROCRED_N": " 7 "}) == 7
    with pytest.raises(ImproperlyConfigured, match="an integer"):
        env.env_int("N", 3, environ={"MICROCRED_N": "seven"})
    with pytest.raises(ImproperlyConfigured, match=">= 1"):
        env.env_int("N", 3, minimum=1, environ={"MICROCRED_N": "0"})


def test_required_string_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="MICROCRED_SECRET must be set"):
        env.env_str("SECRET", environ={})


def test_url_must_be_absolute_http():
    assert env.env_url("U", environ={"MICROCRED_U": "https://x.example/"}) == "https://x.example"
    for bad in ("x.example", "ftp://x.example", "https://"):
        with pytest.raises(ImproperlyConfigured, match="absolute URL"):
            env.env_url("U", environ={"MICROCRED_U": bad})


def test_list_splits_on_commas():
    assert env.env_list("L", ["d"], environ={"MICROCRED_L": "a.example, b.example,,"}) == [
        "a.example",
        "b.example",
    ]
    assert env.env_list("L", ["d"], environ={}) == ["d"]


def test_database_url_is_parsed_and_unknown_engines_rejected():
    pg = env.env_database(
        "DB", "sqlite:///x", environ={"MICROCRED_DB": "postgresql://u:p@db.internal:5433/mc"}
    )
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["HOST"], pg["PORT"], pg["NAME"], pg["USER"]) == ("db.internal", 5433, "mc", "u")
    assert pg["CONN_HEALTH_CHECKS"] is True
    sqlite = env.env_database("DB", "sqlite:////tmp/mc.sqlite3", environ={})
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    with pytest.raises(ImproperlyConfigured, match="sqlite:/// or postgresql://"):
        env.env_database("DB", "x", environ={"MICROCRED_DB": "mysql://root@localhost/x"})


def test_email_url_variants():
    assert env.env_email("E", "console:", environ={})["EMAIL_BACKEND"].endswith(
        "console.EmailBackend"
    )
    smtp = env.env_email(
        "E", "console:", environ={"MICROCRED_E": "smtp://me%40x.org:s3cr%2Ft@mail.x.org:2525"}
    )
    assert smtp["EMAIL_HOST"] == "mail.x.org"
    assert smtp["EMAIL_PORT"] == 2525
    assert smtp["EMAIL_HOST_USER"] == "me@x.org"
    assert smtp["EMAIL_HOST_PASSWORD"] == "s3cr/t"
    assert smtp["EMAIL_USE_TLS"] is True
    assert smtp["EMAIL_USE_SSL"] is False
    smtps = env.env_email("E", "console:", environ={"MICROCRED_E": "smtps://mail.x.org"})
    assert (smtps["EMAIL_PORT"], smtps["EMAIL_USE_SSL"]) == (465, True)
    with pytest.raises(ImproperlyConfigured, match="MICROCRED_E='sendmail:' is invalid"):
        env.env_email("E", "console:", environ={"MICROCRED_E": "sendmail:"})
    with pytest.raises(ImproperlyConfigured, match="host name"):
        env.env_email("E", "console:", environ={"MICROCRED_E": "smtp://"})
