"""What every staff FAQ page shares: the municipality, the permission and the 課 it may act for."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import Department, Role
from yakusho.core.permissions import Perm


class FaqStaffMixin(MunicipalityStaffMixin):
    """Staff FAQ pages: every role reads; writing needs ``Perm.EDIT_FAQ`` or
    ``Perm.ANSWER_QUESTIONS``, and 課 staff act only for their own 課."""

    def own_departments(self) -> set[int] | None:
        """The 課 this member acts for: None for every 課 (administrators, the counter)."""
        if self.membership.role == Role.DEPARTMENT:
            return {d.pk for d in self.membership.departments.all()}
        return None

    def may_act_for(self, perm: Perm, department: Department | int | None) -> bool:
        """May this member do ``perm`` for a record of ``department`` (None: no 課 named)?"""
        if not self.can(perm):
            return False
        own = self.own_departments()
        if own is None:
            return True
        department_id = department.pk if isinstance(department, Department) else department
        return department_id in own

    def department_filter(self, field: str = "department") -> Q:
        """Records of the 課 this member acts for (everything for administrators and the counter)."""
        own = self.own_departments()
        return Q() if own is None else Q(**{f"{field}__in": own})

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["faq_section"] = getattr(self, "faq_section", "")
        return context
