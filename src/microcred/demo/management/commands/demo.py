from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from microcred.demo.data import demo_summary, load_demo
from microcred.issuance.models import IssuedCredential


class Command(BaseCommand):
    help = (
        "Load the demo institution, staff, learners and an issued credential (safe to run again)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        organization, created = load_demo()
        self.stdout.write(
            ("Loaded" if created else "Kept") + f" demo data for {organization.name}."
        )
        base = settings.PUBLIC_URL
        credential = (
            IssuedCredential.objects.filter(organization=organization).order_by("issued_at").first()
        )
        self.stdout.write("")
        self.stdout.write(f"microcred is at        {base}/")
        self.stdout.write(f"Log in                 {base}{reverse('accounts:login')}")
        self.stdout.write(
            f"Back office            {base}{reverse('backoffice:dashboard', args=[organization.slug])}"
        )
        self.stdout.write(f"Verify by code         {base}{reverse('public:verify')}")
        if credential is not None:
            url = reverse("public:verify_code", args=[credential.verification_code])
            self.stdout.write(f"Demo credential        {base}{url}")
        self.stdout.write("")
        for line in demo_summary():
            self.stdout.write(line)
