"""Artifacts and uploads in an S3-compatible bucket, as production stores them: django-storages
talking the S3 protocol over HTTP to a local S3 server (moto's), never to the network."""

from __future__ import annotations

import hashlib
import json
import uuid
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse

from microcred.achievements import designs
from microcred.issuance.artifacts import render_all
from microcred.issuance.models import ArtifactKind
from microcred.vc import baking
from tests.conftest import issue, publish_achievement

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A fresh bucket as the default storage, configured as settings.py does for production."""
    name = f"media-{uuid.uuid4().hex[:12]}"
    keys = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **keys)
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    assert type(storages["default"]).__name__ == "S3Storage"

    def objects() -> dict[str, bytes]:
        listed = client.list_objects_v2(Bucket=name).get("Contents", [])
        return {
            item["Key"]: client.get_object(Bucket=name, Key=item["Key"])["Body"].read()
            for item in listed
        }

    return objects


def test_rendered_artifacts_live_in_the_bucket_and_reach_only_their_holder(world, login, bucket):
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), world.learner.email)
    artifacts = render_all(credential)
    stored = bucket()
    for artifact in artifacts:
        assert artifact.file.name in stored
        assert hashlib.sha256(stored[artifact.file.name]).hexdigest() == artifact.sha256
    # The badge base is rendered once per design and kept in the bucket too.
    design = designs.design_of(credential.achievement)
    base = f"designs/{design.pk}/v{design.version}/badge-{credential.achievement_version_id}"
    assert {key for key in stored if key.startswith("designs/")} == {
        f"{base}.png",
        f"{base}.svg",
    }

    holder = login(world.learner)
    for kind in (ArtifactKind.BADGE_PNG, ArtifactKind.CERTIFICATE_PDF):
        response = holder.get(reverse("learner:download", args=[credential.uuid, kind]))
        assert response.status_code == 200
        artifact = next(a for a in artifacts if a.kind == kind)
        assert response.content == stored[artifact.file.name]
    png = holder.get(reverse("learner:download", args=[credential.uuid, "png"])).content
    assert json.loads(baking.extract(png)) == credential.document
    # Nobody else, and no public URL: /media/ serves only public folders.
    stranger = login(world.stranger)
    assert (
        stranger.get(reverse("learner:download", args=[credential.uuid, "pdf"])).status_code == 404
    )
    for artifact in artifacts:
        assert holder.get(f"/media/{artifact.file.name}").status_code == 404


def test_a_logo_in_the_bucket_is_served_at_a_lasting_address(world, client, bucket, settings):
    organization = world.a.organization
    organization.logo.save("logo.png", ContentFile(b"\x89PNG logo bytes"), save=True)
    assert organization.logo.name in bucket()
    # The storage's own URL is signed and expires; credentials carry the app's address instead.
    assert "Signature=" in organization.logo.url  # SigV2's Signature= or SigV4's X-Amz-Signature=
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer))
    image = credential.document["issuer"]["image"]["id"]
    assert image == f"{settings.PUBLIC_URL}/media/{organization.logo.name}"
    served = client.get(urlsplit(image).path)
    assert served.status_code == 200
    assert served.getvalue() == b"\x89PNG logo bytes"
