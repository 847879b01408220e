"""A status list that cannot be retrieved or trusted gives "unknown", never "valid"."""

from __future__ import annotations

import copy
import functools
from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.vc import dataintegrity, multikey, ob3, status_list
from microcred.vc.fetch import FetchError, fetch_json
from microcred.vc.resolver import Resolver
from microcred.vc.verify import Report, verify_credential

LIST_URL = "https://status.example.org/list"
INDEX = 41
NOW = datetime(2027, 6, 1, tzinfo=UTC)


class Signer:
    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.did = multikey.did_key(self.key.public_key())

    def sign(self, document: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return dataintegrity.sign(
            document,
            key=self.key,
            verification_method=multikey.did_key_verification_method(self.did),
            **kwargs,
        )


def credential(issuer: Signer, list_url: str = LIST_URL) -> dict[str, Any]:
    unsigned = ob3.build_credential(
        id="urn:uuid:2f6bb8c4-4e0c-4b0e-9bd7-3f4bb2a1f0aa",
        issuer=ob3.Issuer(id=issuer.did, name="Example University", url="https://uni.example.org"),
        achievement=ob3.Achievement(
            id="https://creds.example.org/achievements/3d1f",
            name="Data Analysis with Python",
            description="Clean, analyse and visualise tabular data.",
            criteria_narrative="Pass the final exam with at least 80 %.",
            eu=ob3.EuElements(
                awarding_bodies=("Example University",),
                learning_outcomes=("Load data",),
                workload_ects=Decimal(3),
            ),
        ),
        recipient=ob3.Recipient(email="ada@example.org", salt="s4lt", name="Ada Lovelace"),
        valid_from="2026-11-22T10:00:00Z",
        valid_until="2029-11-22T10:00:00Z",
        status=ob3.CredentialStatus(
            id=f"{list_url}#{INDEX}",
            type=status_list.ENTRY_TYPE,
            properties=(
                ("statusPurpose", status_list.PURPOSE_REVOCATION),
                ("statusListIndex", str(INDEX)),
                ("statusListCredential", list_url),
            ),
        ),
    )
    return issuer.sign(unsigned, proof_as_array=True)


def list_credential(signer: Signer, *, issuer: str, revoked: Collection[int] = ()) -> dict:
    bits = status_list.Bitstring()
    for index in revoked:
        bits.set(index, True)
    unsigned = status_list.status_list_credential(
        list_url=LIST_URL,
        issuer=issuer,
        purpose=status_list.PURPOSE_REVOCATION,
        encoded_list=bits.encode(),
        valid_from="2026-01-01T00:00:00Z",
    )
    return signer.sign(unsigned)


def serving(document: dict[str, Any]):
    def fetch(url: str) -> dict[str, Any]:
        assert url == LIST_URL
        return copy.deepcopy(document)

    return fetch


def unreachable(url: str) -> dict[str, Any]:
    raise FetchError(f"{url} could not be fetched: connection refused")


def verify(signed: dict[str, Any], status_lists: Any) -> Report:
    return verify_credential(
        signed, resolver=Resolver(fetch=None), status_lists=status_lists, now=NOW
    )


@pytest.fixture(scope="module")
def issuer() -> Signer:
    return Signer()


@pytest.fixture(scope="module")
def signed(issuer: Signer) -> dict[str, Any]:
    return credential(issuer)


def assert_unknown(report: Report, reason: str) -> None:
    assert report.verdict == "unknown", report.checks
    status = report.check("status")
    assert status is not None
    assert status.outcome == "unknown"
    assert reason in status.message
    # everything else about the credential is fine: only the status is undetermined
    for name in ("json", "contexts", "schema", "proof", "issuer", "validity"):
        assert report.check(name).outcome == "passed", report.check(name)
    assert not report.is_valid


def test_an_unreachable_list_gives_unknown(signed):
    assert_unknown(verify(signed, unreachable), "could not be fetched")


def test_no_list_fetcher_gives_unknown(signed):
    assert_unknown(verify(signed, None), "could not be retrieved")


def test_the_real_guarded_client_refusing_the_list_gives_unknown(signed):
    # status.example.org "resolves" to loopback: the guarded client refuses it (no connection)
    fetch = functools.partial(fetch_json, resolve=lambda host, port: ["127.0.0.1"])
    assert_unknown(verify(signed, fetch), "non-public address")


def test_a_malformed_list_url_gives_unknown_not_a_crash(issuer):
    # fetch_json used to raise ValueError here, which verify_credential does not catch
    signed = credential(issuer, list_url="https://status.example.org:99999/list")
    fetch = functools.partial(fetch_json, resolve=lambda host, port: ["93.184.216.34"])
    assert_unknown(verify(signed, fetch), "not a valid address")


def test_a_list_issued_by_another_key_gives_unknown(signed):
    stranger = Signer()
    foreign = list_credential(stranger, issuer=stranger.did)  # a valid list, of someone else
    assert_unknown(verify(signed, serving(foreign)), "issued by someone else")


def test_a_list_claiming_our_issuer_but_signed_by_another_key_gives_unknown(signed, issuer):
    forged = list_credential(Signer(), issuer=issuer.did)
    assert_unknown(verify(signed, serving(forged)), "status list credential is invalid")


def test_a_correct_list_with_the_bit_clear_gives_valid(signed, issuer):
    report = verify(signed, serving(list_credential(issuer, issuer=issuer.did, revoked={7})))
    assert report.verdict == "valid", report.checks
    assert report.check("status").outcome == "passed"
    assert report.status == ({"status": 0, "purpose": "revocation", "valid": True},)


def test_a_correct_list_with_the_bit_set_gives_revoked(signed, issuer):
    report = verify(signed, serving(list_credential(issuer, issuer=issuer.did, revoked={INDEX})))
    assert report.verdict == "revoked", report.checks
    assert report.check("status").outcome == "failed"
    assert report.status == ({"status": 1, "purpose": "revocation", "valid": False},)


def _tamper_proof_value(document: dict[str, Any]) -> None:
    proof = document["proof"]
    value = proof["proofValue"]
    proof["proofValue"] = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]


def _revoke_after_signing(document: dict[str, Any]) -> None:
    # the bit is cleared in a list that was signed with it set: the list content no longer
    # matches its proof
    bits = status_list.Bitstring()
    document["credentialSubject"]["encodedList"] = bits.encode()


@pytest.mark.parametrize("tamper", [_tamper_proof_value, _revoke_after_signing])
def test_a_tampered_list_gives_unknown(signed, issuer, tamper):
    document = list_credential(issuer, issuer=issuer.did, revoked={INDEX})
    tamper(document)
    assert_unknown(verify(signed, serving(document)), "status list credential is invalid")


def test_a_fetcher_that_breaks_unexpectedly_gives_unknown_not_a_crash(signed):
    def broken(url: str) -> dict[str, Any]:
        raise KeyError(url)

    report = verify(signed, broken)
    assert report.verdict == "unknown"
    assert report.check("status").outcome == "unknown"
