"""The production settings plus test-only views: which alias served each request is reported, here only.

Production never says which database served a request; this site does (the X-Served-By header and
a `served_by` field), so that tests and `make consistency` can check the routing from outside.
"""

from config.settings.production import *  # noqa: F403 - the site's settings, with a test app on top

INSTALLED_APPS = [*INSTALLED_APPS, "tests.consistency"]  # noqa: F405
DATABASE_ROUTING = {**DATABASE_ROUTING, "consistency": "app2"}  # noqa: F405
ROOT_URLCONF = "tests.consistency.urls"
MIDDLEWARE = ["tests.consistency.middleware.ServedByMiddleware", *MIDDLEWARE]  # noqa: F405
