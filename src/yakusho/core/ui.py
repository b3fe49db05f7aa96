"""Small registries through which apps contribute to shared pages.

All three are :class:`yakusho.core.registry.Registry` instances.

- **Staff home panels.** An app declares panels in its ``panels.py`` (discovered at start-up)::

      @panels.register("procedures.new_submissions", title=_("新着の申請"), roles={Role.DEPARTMENT},
                       template="procedures/panels/new_submissions.html", order=20)
      def new_submissions(membership):
          return {"count": ...}   # or None to hide the panel

  The staff home shows, for each municipality the user belongs to, the panels their role may
  see, in ``order``; the function gets the membership (municipality, role, departments) and
  scopes its queries by it.
- **Public links.** What a municipality offers residents, shown on its public home::

      public_links.register("bookings", label=_("施設・窓口の予約"), url_name="bookings:list", order=30)

- **Public search.** The search box of a municipality's public home: the first registered one
  (by ``order``) is shown, and its form sends ``?q=…`` to the view of ``url_name``::

      public_searches.register("procedures", label=_("手続を探す"), url_name="procedures:catalogue")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

from yakusho.core.models import Membership, Municipality
from yakusho.core.registry import Registry

PanelFunc = Callable[[Membership], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    key: str
    title: str | Promise
    template: str
    func: PanelFunc
    roles: frozenset[str]
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    panel: Panel
    context: dict[str, Any]


class PanelRegistry(Registry[Panel]):
    def __init__(self) -> None:
        super().__init__("panel", module="panels", sort_key=lambda key, p: (p.order, key))

    def register(
        self, key: str, *, title: str | Promise, template: str, roles: Iterable[str], order: int = 100
    ) -> Callable[[PanelFunc], PanelFunc]:
        def decorator(func: PanelFunc) -> PanelFunc:
            self.add(key, Panel(key, title, template, func, frozenset(roles), order))
            return func

        return decorator

    def for_membership(self, membership: Membership) -> list[RenderedPanel]:
        rendered = []
        for panel in self.all():
            if membership.role not in panel.roles:
                continue
            context = panel.func(membership)
            if context is not None:
                rendered.append(RenderedPanel(panel, context))
        return rendered


@dataclass(frozen=True)
class PublicLink:
    key: str
    label: str | Promise
    url_name: str
    order: int = 100
    description: str | Promise = ""
    kwargs: dict[str, str] = field(default_factory=dict)


class PublicLinkRegistry(Registry[PublicLink]):
    def __init__(self) -> None:
        super().__init__("public link", sort_key=lambda key, link: (link.order, key))

    def register(
        self,
        key: str,
        *,
        label: str | Promise,
        url_name: str,
        order: int = 100,
        description: str | Promise = "",
    ) -> None:
        self.add(key, PublicLink(key, label, url_name, order, description))

    def for_municipality(self, municipality: Municipality) -> list[PublicLink]:
        return self.all()


@dataclass(frozen=True)
class PublicSearch:
    key: str
    label: str | Promise
    url_name: str
    order: int = 100
    help_text: str | Promise = ""


class PublicSearchRegistry(Registry[PublicSearch]):
    def __init__(self) -> None:
        super().__init__("public search", sort_key=lambda key, search: (search.order, key))

    def register(
        self,
        key: str,
        *,
        label: str | Promise,
        url_name: str,
        order: int = 100,
        help_text: str | Promise = "",
    ) -> None:
        self.add(key, PublicSearch(key, label, url_name, order, help_text))

    def first(self) -> PublicSearch | None:
        entries = self.all()
        return entries[0] if entries else None


panels = PanelRegistry()
public_links = PublicLinkRegistry()
public_searches = PublicSearchRegistry()


ConsortiumSectionFunc = Callable[[Any], dict[str, Any] | None]


@dataclass(frozen=True)
class ConsortiumSection:
    key: str
    template: str
    func: ConsortiumSectionFunc
    order: int = 100


class ConsortiumSectionRegistry(Registry[ConsortiumSection]):
    """Sections of a consortium's page, contributed by apps (the plans app's comparison first)."""

    def __init__(self) -> None:
        super().__init__("consortium section", sort_key=lambda key, section: (section.order, key))

    def register(
        self, key: str, *, template: str, order: int = 100
    ) -> Callable[[ConsortiumSectionFunc], ConsortiumSectionFunc]:
        def decorator(func: ConsortiumSectionFunc) -> ConsortiumSectionFunc:
            self.add(key, ConsortiumSection(key, template, func, order))
            return func

        return decorator

    def render(self, consortium: Any) -> list[tuple[ConsortiumSection, dict[str, Any]]]:
        out = []
        for section in self.all():
            context = section.func(consortium)
            if context is not None:
                out.append((section, context))
        return out


consortium_sections = ConsortiumSectionRegistry()
