"""Helpers that break the routing configuration for one test."""

from django.conf import settings
from django.test.utils import override_settings


def routing(**changes):
    """Override DATABASE_ROUTING (a None value drops the app) and rebuild the routers.

    AppLabelRouter reads DATABASE_ROUTING once; overriding DATABASE_ROUTERS too (with its own
    value) makes Django build new router instances, on entry and again on exit.
    """
    mapping = {**settings.DATABASE_ROUTING, **changes}
    return override_settings(
        DATABASE_ROUTING={app: alias for app, alias in mapping.items() if alias is not None},
        DATABASE_ROUTERS=settings.DATABASE_ROUTERS,
    )


def routers_first(*extra):
    """Put router instances before the project's own."""
    return override_settings(DATABASE_ROUTERS=[*extra, *settings.DATABASE_ROUTERS])
