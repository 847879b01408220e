"""Organizations (tenants) and their staff memberships."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django_countries.fields import CountryField

from microcred.core.models import TimestampedModel
from microcred.organizations.roles import Capability, Role, role_can

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB, e.g. #1d4ed8.")
slug_rule = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    "Use 1–50 lowercase letters, digits and hyphens, not starting or ending with a hyphen.",
)


class Organization(TimestampedModel):
    """An institution that defines and issues credentials. Every tenant-owned row points here."""

    slug = models.CharField(max_length=50, unique=True, validators=[slug_rule])
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=300, blank=True)
    country = CountryField()
    region = models.CharField(max_length=120, blank=True, help_text="State, province or region.")
    website = models.URLField(blank=True)
    contact_email = models.EmailField()
    description = models.TextField(blank=True, max_length=5000)
    logo = models.FileField(upload_to="logos/", blank=True)
    primary_color = models.CharField(max_length=7, default="#1d4ed8", validators=[hex_colour])
    secondary_color = models.CharField(max_length=7, default="#0f172a", validators=[hex_colour])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimestampedModel):
    """A staff member's role in one organization. Learners are users without memberships."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["organization__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=models.Q(role__in=[role.value for role in Role]),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at {self.organization}"

    def can(self, capability: Capability) -> bool:
        return role_can(self.role, capability)
