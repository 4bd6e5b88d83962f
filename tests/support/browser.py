"""Headless Chromium for the browser tests: Debian's chromium and chromium-driver, nothing downloaded.

The paths are those of Debian's packages. GitHub's Ubuntu runners link the same two paths to the
Chromium and ChromeDriver of their image (.github/workflows/ci.yml), so the tests find a browser
there too. On an Ubuntu of one's own, `make browser` installs the snap: /snap/bin/chromium, and
/usr/bin/chromedriver linked to its driver. local_server() serves the site as `make run` does, for
a browser test to drive.
"""

from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.support.databases import database_url
from tests.support.gunicorn import Runserver
from tests.support.processes import EMPTY_ENV_FILE, clean_environ

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_SNAP = Path("/snap/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = settings.BASE_DIR / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
]
WAIT_SECONDS = 10
URL_VARIABLES = {"default": "DATABASE_URL", "app1": "APP1_DATABASE_URL", "app2": "APP2_DATABASE_URL"}


@contextmanager
def chromium():
    """Start headless Chromium, Debian's or the snap; fail, never skip, when it is missing."""
    browser = next((path for path in (CHROMIUM, CHROMIUM_SNAP) if path.exists()), CHROMIUM)
    missing = [str(path) for path in (browser, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: `make browser` installs them (`make test` does).", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = str(browser)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    with pytest.MonkeyPatch.context() as env:
        # Given the driver's path, Selenium skips Selenium Manager; were it ever asked, it must
        # neither download a browser or driver nor report usage.
        env.setenv("SE_OFFLINE", "true")
        env.setenv("SE_AVOID_STATS", "true")
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@contextmanager
def screenshot_on_failure(driver, name):
    """Save what the browser showed, then let the failure through."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        (ARTIFACTS / f"{name}.html").write_text(driver.page_source)
        raise


@contextmanager
def local_server(log_path):
    """Serve the local settings (DEBUG on, the debug toolbar) as `make run` does, on this run's test databases.

    runserver runs in its own process on 127.0.0.1, the address the toolbar shows itself to, and
    reaches the test databases through their URLs (the SQLite one is a file: see conftest.py), so
    a test's committed rows are what it serves and the test reads what it wrote. No replica: every
    app2 read goes to the primary's test database. It stops before pytest-django empties the databases.
    """
    urls = {}
    for alias, variable in URL_VARIABLES.items():
        settings_dict = connections[alias].settings_dict  # NAME is the test database's by now
        if connections[alias].vendor == "sqlite":
            urls[variable] = f"sqlite:///{settings_dict['NAME']}"
        else:
            urls[variable] = database_url(settings_dict, settings_dict["NAME"])
    env = clean_environ(
        DJANGO_SETTINGS_MODULE="config.settings.local", DJANGO_ENV_FILE=EMPTY_ENV_FILE, APP2_REPLICA_URLS="", **urls
    )
    with Runserver(env, log_path=log_path) as server:
        yield server
