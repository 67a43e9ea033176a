"""The permission matrix: every URL pattern and API route, checked per role against a table.

Each app's tests/<app>/routes.py contributes `ROUTES` (route name → list of Check) and optionally
`build(world)` to add the records its checks need (owned by rep A). A route the resolver knows but no table
lists fails the matrix, so every new endpoint must be classified here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from types import SimpleNamespace

from django.urls import URLPattern, URLResolver, get_resolver

ROLES = ["anonymous", "rep_a", "rep_b", "manager_a", "manager_b", "admin"]
ROUTE_MODULES = [
    "tests.crm.routes",
    "tests.customers.routes",
    "tests.customers.routes_orders",
    "tests.salesforce_auto.routes",
    "tests.salesforce_auto.routes_pipeline",
    "tests.segmentation.routes",
    "tests.segmentation.routes_dashboard",
    "tests.service.routes",
]


def expect(default: int | None = None, **per_role: int) -> dict[str, int]:
    """Expected status per role; `default` fills the roles not named."""
    table = {role: default for role in ROLES}
    table.update(per_role)
    missing = [r for r, v in table.items() if v is None]
    if missing:
        raise ValueError(f"no expected status for {missing}")
    return table


def page(anonymous: int = 302, **per_role: int) -> dict[str, int]:
    """A login-required page: anonymous users are redirected to the login form."""
    return expect(default=per_role.pop("default", 200), anonymous=anonymous, **per_role)


def api(anonymous: int = 401, **per_role: int) -> dict[str, int]:
    return expect(default=per_role.pop("default", 200), anonymous=anonymous, **per_role)


OWNER_SCOPED = {"rep_a": 200, "rep_b": 404, "manager_a": 200, "manager_b": 404, "admin": 200}


@dataclass
class Check:
    method: str
    path: str | Callable[[SimpleNamespace], str]
    expected: dict[str, int]
    data: dict | Callable[[SimpleNamespace, str], dict] | None = None
    fmt: str = "json"  # json for the API, "form" for pages
    note: str = field(default="")

    def url(self, world) -> str:
        return self.path(world) if callable(self.path) else self.path

    def payload(self, world, role: str):
        if callable(self.data):
            return self.data(world, role)
        return self.data


def route_tables() -> tuple[dict[str, list[Check]], list[Callable]]:
    routes: dict[str, list[Check]] = {}
    builders = []
    for name in ROUTE_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError:
            continue
        overlap = set(routes) & set(module.ROUTES)
        if overlap:
            raise ValueError(f"{name} classifies routes already classified: {overlap}")
        routes.update(module.ROUTES)
        if hasattr(module, "build"):
            builders.append(module.build)
    return routes, builders


def discovered_routes() -> set[str]:
    """Every route name the resolver serves; the admin site counts as one entry, `admin:*`."""
    names: set[str] = set()

    def walk(patterns, namespaces):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    names.add("admin:*")
                    continue
                walk(pattern.url_patterns, namespaces + ([pattern.namespace] if pattern.namespace else []))
            elif isinstance(pattern, URLPattern):
                if pattern.name:
                    names.add(":".join([*namespaces, pattern.name]))
                else:
                    names.add(f"<unnamed {pattern.pattern}>")

    walk(get_resolver().url_patterns, [])
    return names


class World:
    """The records the matrix checks act on. Builders from different apps share it, so an attribute can be
    set only once: a second builder reusing a name would silently change another app's checks."""

    def __init__(self, **initial):
        object.__setattr__(self, "_names", set())
        for name, value in initial.items():
            setattr(self, name, value)

    def __setattr__(self, name, value):
        if name in self._names:
            raise AttributeError(f"world.{name} is already set by another builder: pick another name")
        self._names.add(name)
        object.__setattr__(self, name, value)
