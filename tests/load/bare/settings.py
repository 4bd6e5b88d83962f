"""The production settings with no middleware and JSON views: what the pages cost beyond their queries.

Databases, connection settings, router and apps are the site's own, so each view runs the same
queries as the page it stands for (tests/test_load_bare.py compares them); the middleware, the
templates and the site menu's URL reversing are what the site adds on top.
"""

from config.settings.production import *  # noqa: F403 - the site's settings, two of them replaced

MIDDLEWARE = []
ROOT_URLCONF = "tests.load.bare.urls"
