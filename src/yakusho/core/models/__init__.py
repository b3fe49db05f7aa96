from yakusho.core.models.accounts import Invitation, Membership, Role, User
from yakusho.core.models.calendar import Closure
from yakusho.core.models.operations import CommandRun
from yakusho.core.models.outbox import OutboundEmail
from yakusho.core.models.pages import PolicyPage
from yakusho.core.models.ratelimit import RateCounter
from yakusho.core.models.reference import LocalGovernment, LocalGovernmentKind
from yakusho.core.models.search import SynonymGroup
from yakusho.core.models.tenancy import (
    Consortium,
    ConsortiumMembership,
    ConsortiumOwned,
    Department,
    Municipality,
    TenantOwned,
)

__all__ = [
    "Closure",
    "CommandRun",
    "Consortium",
    "ConsortiumMembership",
    "ConsortiumOwned",
    "Department",
    "Invitation",
    "LocalGovernment",
    "LocalGovernmentKind",
    "Membership",
    "Municipality",
    "OutboundEmail",
    "PolicyPage",
    "RateCounter",
    "Role",
    "SynonymGroup",
    "TenantOwned",
    "User",
]
