from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from microcred.accounts.models import User, normalize_email
from microcred.core.errors import DomainError
from microcred.organizations.models import Organization
from microcred.organizations.services import create_organization


class Command(BaseCommand):
    help = "Create an organization (tenant) with an existing or new user as its owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="address name, e.g. example-university")
        parser.add_argument("--name", required=True)
        parser.add_argument("--country", required=True, help="ISO 3166 code, e.g. NL")
        parser.add_argument("--contact-email", required=True)
        parser.add_argument(
            "--owner-email", required=True, help="created without a password if new"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = normalize_email(options["owner_email"])
        try:
            organization = self._create(email, options)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
            )
            raise CommandError(problems) from None
        self.stdout.write(f"Created {organization.name} ({organization.slug}) owned by {email}.")

    @transaction.atomic
    def _create(self, email: str, options: dict[str, Any]) -> Organization:
        owner = User.objects.filter(email=email).first()
        if owner is None:
            owner = User.objects.create_user(email=email)
            self.stdout.write(
                f"Created user {email}; they set a password through the password-reset page."
            )
        return create_organization(
            owner=owner,
            slug=options["slug"],
            name=options["name"],
            country=options["country"].upper(),
            contact_email=options["contact_email"],
        )
