"""The store, plus one model per kind of wrong routing and a router that routes by a proxy's own app."""

from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "misrouted"]  # noqa: F405
DATABASE_ROUTING = {**DATABASE_ROUTING, "misrouted": "catalog"}  # noqa: F405
DATABASE_ROUTERS = ["misrouted.routers.ByOwnAppLabel", "routers.router.AppLabelRouter"]
