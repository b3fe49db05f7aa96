"""Small registries through which apps contribute to shared pages.

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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

from yakusho.core.models import Membership, Municipality

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


class PanelRegistry:
    def __init__(self) -> None:
        self._panels: dict[str, Panel] = {}

    def register(
        self, key: str, *, title: str | Promise, template: str, roles: Iterable[str], order: int = 100
    ) -> Callable[[PanelFunc], PanelFunc]:
        def decorator(func: PanelFunc) -> PanelFunc:
            if key in self._panels:
                raise ValueError(f"panel {key!r} is already registered")
            self._panels[key] = Panel(key, title, template, func, frozenset(roles), order)
            return func

        return decorator

    def all(self) -> list[Panel]:
        return sorted(self._panels.values(), key=lambda p: (p.order, p.key))

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


class PublicLinkRegistry:
    def __init__(self) -> None:
        self._links: dict[str, PublicLink] = {}

    def register(
        self,
        key: str,
        *,
        label: str | Promise,
        url_name: str,
        order: int = 100,
        description: str | Promise = "",
    ) -> None:
        if key in self._links:
            raise ValueError(f"public link {key!r} is already registered")
        self._links[key] = PublicLink(key, label, url_name, order, description)

    def for_municipality(self, municipality: Municipality) -> list[PublicLink]:
        return sorted(self._links.values(), key=lambda link: (link.order, link.key))


panels = PanelRegistry()
public_links = PublicLinkRegistry()


ConsortiumSectionFunc = Callable[[Any], dict[str, Any] | None]


@dataclass(frozen=True)
class ConsortiumSection:
    key: str
    template: str
    func: ConsortiumSectionFunc
    order: int = 100


class ConsortiumSectionRegistry:
    """Sections of a consortium's page, contributed by apps (the plans app's comparison first)."""

    def __init__(self) -> None:
        self._sections: dict[str, ConsortiumSection] = {}

    def register(
        self, key: str, *, template: str, order: int = 100
    ) -> Callable[[ConsortiumSectionFunc], ConsortiumSectionFunc]:
        def decorator(func: ConsortiumSectionFunc) -> ConsortiumSectionFunc:
            if key in self._sections:
                raise ValueError(f"consortium section {key!r} is already registered")
            self._sections[key] = ConsortiumSection(key, template, func, order)
            return func

        return decorator

    def render(self, consortium: Any) -> list[tuple[ConsortiumSection, dict[str, Any]]]:
        out = []
        for section in sorted(self._sections.values(), key=lambda s: (s.order, s.key)):
            context = section.func(consortium)
            if context is not None:
                out.append((section, context))
        return out


consortium_sections = ConsortiumSectionRegistry()
