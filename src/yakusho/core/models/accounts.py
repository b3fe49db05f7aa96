"""Staff accounts, their role in each municipality, and invitations."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.core.models.tenancy import Department, Municipality, TenantOwned


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A staff account. Residents have no accounts; staff sign in with their e-mail address."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(
        _("メールアドレス"),
        unique=True,
        error_messages={"unique": _("このメールアドレスはすでに使われています。")},
    )
    display_name = models.CharField(_("氏名"), max_length=80, blank=True)
    is_operator = models.BooleanField(
        _("運用管理者"),
        default=False,
        help_text=_("全団体・一部事務組合を管理するシステムの運用者。二要素認証が必須です。"),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("職員アカウント")
        verbose_name_plural = _("職員アカウント")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email

    def requires_two_factor(self) -> bool:
        """System operators and administrators of any municipality must use TOTP."""
        if self.is_operator:
            return True
        return self.memberships.filter(role=Role.ADMIN, is_active=True).exists()


class Role(models.TextChoices):
    ADMIN = "admin", _("団体管理者")
    SECRETARIAT = "secretariat", _("DX推進室（事務局）")
    DEPARTMENT = "department", _("担当課職員")
    COUNTER = "counter", _("窓口職員")
    HQ = "hq", _("DX推進本部員")


class Membership(TenantOwned):
    """The role of one staff account in one municipality (and, for department staff, its 課)."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="memberships"
    )
    user = models.ForeignKey(
        User, verbose_name=_("職員"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices)
    departments = models.ManyToManyField(
        Department, verbose_name=_("所属課"), blank=True, related_name="members"
    )
    is_active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("職員の所属")
        verbose_name_plural = _("職員の所属")
        ordering = ["municipality", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality"],
                name="membership_unique_per_municipality",
                violation_error_message=_("この職員はすでにこの団体に所属しています。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.municipality})"


def check_departments_belong(municipality: Municipality, departments: Any) -> None:
    """Refuse 課 of another municipality (used by forms and by :meth:`Membership` callers)."""
    foreign = [d for d in departments if d.municipality_id != municipality.pk]
    if foreign:
        raise ValidationError(
            {
                "departments": _("%(names)s は他の団体の課です。%(municipality)s の課を選んでください。")
                % {"names": "、".join(d.name for d in foreign), "municipality": municipality.name}
            }
        )


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _default_expiry() -> Any:
    return timezone.now() + timedelta(days=7)


class Invitation(TenantOwned):
    """An e-mailed invitation to join a municipality's staff with a role.

    It holds an e-mail address (personal data): ``yakusho purge-expired`` erases it, and its
    history, once the retention period after acceptance or expiry has passed.
    """

    RETENTION = timedelta(days=30)

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField(_("メールアドレス"))
    display_name = models.CharField(_("氏名"), max_length=80, blank=True)
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices)
    departments = models.ManyToManyField(Department, verbose_name=_("所属課"), blank=True)
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    invited_by = models.ForeignKey(
        User, verbose_name=_("招待者"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("招待日時"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有効期限"), default=_default_expiry)
    accepted_at = models.DateTimeField(_("受諾日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("招待")
        verbose_name_plural = _("招待")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.municipality}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()
