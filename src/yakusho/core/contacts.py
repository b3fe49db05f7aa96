"""What a resident is told to call: a department's phone, place and hours, with the municipality's
as fallbacks, so no page says 「お問い合わせください」 without saying where.

The demo's department numbers are invented (``Department.contact_is_demo``): they carry the town's
real 市外局番 and a 市内局番 of zeros, which no real number has; pages say so and do not link them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from yakusho.core.models import Department, Municipality


@dataclass(frozen=True)
class Contact:
    department: Department
    municipality: Municipality
    phone: str
    #: the number is the municipality's 代表電話 (the department has none of its own)
    phone_is_main: bool
    place: str
    hours: str
    email: str
    #: the phone and place were invented for the demo
    is_demo: bool

    @property
    def tel(self) -> str:
        """The number for a ``tel:`` link (digits only), empty for an invented one."""
        return "" if self.is_demo else "".join(c for c in self.phone if c.isdigit())


def office_hours_text(municipality: Municipality) -> str:
    """平日 8:30〜17:15（土日・祝日・年末年始を除く）, as on the municipality's page."""
    opens = f"{municipality.office_opens.hour}:{municipality.office_opens.minute:02d}"
    closes = f"{municipality.office_closes.hour}:{municipality.office_closes.minute:02d}"
    if municipality.closes_year_end:
        return _("平日 %(opens)s〜%(closes)s（土日・祝日・年末年始を除く）") % {
            "opens": opens,
            "closes": closes,
        }
    return _("平日 %(opens)s〜%(closes)s（土日・祝日を除く）") % {"opens": opens, "closes": closes}


def department_contact(department: Department, municipality: Municipality) -> Contact:
    """The department's own details; its municipality's 代表電話, address and office hours where
    the department has none."""
    own_phone = department.phone.strip()
    return Contact(
        department=department,
        municipality=municipality,
        phone=own_phone or municipality.phone.strip(),
        phone_is_main=not own_phone and bool(municipality.phone.strip()),
        place=department.place.strip() or municipality.address.strip(),
        hours=department.hours.strip() or office_hours_text(municipality),
        email=department.email,
        is_demo=department.contact_is_demo and bool(own_phone or department.place.strip()),
    )
