"""The debug toolbar: in the local settings only, and its SQL panel shows each alias's queries.

The browser test serves the local settings as `make run` does (runserver, DEBUG on, 127.0.0.1) on
throwaway databases: test_<name>_toolbar on the servers and a SQLite file for the users (or a
server database when DATABASE_URL moves them), migrated by migrate_all and dropped at the end.
Headless Chromium opens `/`, finds the toolbar collapsed to its handle (a first visit), opens it
and its SQL panel, and reads which alias ran each query.
"""

import json
import re

import pytest
from django.db import connections
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import WAIT_SECONDS, chromium, screenshot_on_failure
from tests.support.databases import database_url, drop_database, recreate_database, throwaway_name
from tests.support.gunicorn import Runserver
from tests.support.processes import EMPTY_ENV_FILE, PRODUCTION_ENV, checked, clean_environ, manage

URL_VARIABLES = {"default": "DATABASE_URL", "app1": "APP1_DATABASE_URL", "app2": "APP2_DATABASE_URL"}
# Which installed pieces of the toolbar the settings module has, and whether its URLs resolve.
TOOLBAR_REPORT = """
import json
from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, reverse
try:
    urls = bool(reverse("djdt:render_panel"))
except NoReverseMatch:
    urls = False
print(json.dumps({
    "app": apps.is_installed("debug_toolbar"),
    "middleware": [m for m in settings.MIDDLEWARE if m.startswith("debug_toolbar")],
    "urls": urls,
}))
"""
# The legend of the SQL panel: "app1 0.52 ms (4 queries)".
LEGEND = re.compile(r"^(\S+)\s+[\d.]+\s+ms\s+\((\d+) quer")
TABLE = re.compile(r"\b(?:authapp|app1|app2)_[a-z_]+\b")


def report(module):
    """Run TOOLBAR_REPORT under the settings module; return what it printed."""
    env = clean_environ(**{**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": module})  # production needs these variables
    result = manage("shell", "--no-imports", "-c", TOOLBAR_REPORT, env=env)
    return json.loads(checked(result, f"manage.py shell with {module}").strip().splitlines()[-1])


def test_the_local_settings_install_the_toolbar():
    assert report("config.settings.local") == {
        "app": True,
        "middleware": ["debug_toolbar.middleware.DebugToolbarMiddleware"],
        "urls": True,
    }


@pytest.mark.parametrize("module", ["config.settings.production", "config.settings.test"])
def test_production_and_the_tests_run_without_the_toolbar(module):
    assert report(module) == {"app": False, "middleware": [], "urls": False}


def test_the_toolbar_passes_its_own_system_checks():
    env = clean_environ(DJANGO_SETTINGS_MODULE="config.settings.local", DJANGO_ENV_FILE=EMPTY_ENV_FILE)
    result = manage("check", "--fail-level", "DEBUG", env=env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.fixture(scope="module")
def local_site(tmp_path_factory, django_db_blocker):
    """Serve the local settings with runserver on throwaway databases, migrated; drop them afterwards."""
    tmp = tmp_path_factory.mktemp("toolbar")
    servers = [alias for alias in URL_VARIABLES if connections[alias].vendor != "sqlite"]
    names = {alias: throwaway_name(alias, "toolbar") for alias in servers}
    urls = {
        URL_VARIABLES[alias]: database_url(connections.settings[alias], names[alias])
        if alias in names
        else f"sqlite:///{tmp / 'users.sqlite3'}"
        for alias in URL_VARIABLES
    }
    env = clean_environ(DJANGO_SETTINGS_MODULE="config.settings.local", DJANGO_ENV_FILE=EMPTY_ENV_FILE, **urls)
    with django_db_blocker.unblock():  # this module's own databases, not the test databases
        for alias, name in names.items():
            recreate_database(alias, name)
    try:
        checked(manage("migrate_all", "--noinput", env=env, timeout=180), "migrate_all")
        with Runserver(env, log_path=tmp / "runserver.log") as server:
            yield server
    finally:
        with django_db_blocker.unblock():
            for alias, name in names.items():
                drop_database(alias, name)


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def toolbar_root(driver):
    """The toolbar's shadow root (USE_SHADOW_DOM), once its script has shown either the toolbar or its handle."""
    wait = WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.05)
    # Selenium reaches into a shadow root by CSS only.
    toolbar = wait.until(lambda d: d.find_element(By.ID, "djDebugRoot").shadow_root)
    wait.until(
        lambda d: any(
            toolbar.find_element(By.CSS_SELECTOR, part).is_displayed()
            for part in ("#djDebugToolbar", "#djDebugToolbarHandle")
        )
    )
    return toolbar


def sql_panel_queries(driver, toolbar):
    """Open the toolbar's SQL panel; return its legend {alias: queries} and [(alias, SQL)] of its rows."""
    wait = WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.05)
    wait.until(lambda d: toolbar.find_element(By.CSS_SELECTOR, "#djdt-SQLPanel a").is_displayed())
    toolbar.find_element(By.CSS_SELECTOR, "#djdt-SQLPanel a").click()
    # The panel's content is fetched once it is opened.
    legend = wait.until(lambda d: toolbar.find_elements(By.CSS_SELECTOR, "#SQLPanel .djdt-databaseLegend li"))
    counts = {}
    for item in legend:
        alias, count = LEGEND.match(item.get_attribute("textContent").strip()).groups()
        counts[alias] = int(count)
    queries = []
    for row in toolbar.find_elements(By.CSS_SELECTOR, "#SQLPanel tr[id^='sqlMain_']"):
        number = row.get_attribute("id").removeprefix("sqlMain_")
        sql = row.find_element(By.CSS_SELECTOR, ".djDebugSql").get_attribute("textContent")
        # The details row is folded away: textContent reads it all the same.
        details = toolbar.find_element(By.CSS_SELECTOR, f"#sqlDetails_{number}").get_attribute("textContent")
        queries.append((re.search(r"Connection:\s*(\S+)", details).group(1), sql))
    return counts, queries


@pytest.mark.browser
def test_sql_panel_lists_each_alias_and_its_own_tables(browser, local_site):
    with screenshot_on_failure(browser, "test_sql_panel_lists_each_alias_and_its_own_tables"):
        browser.get(local_site.url + "/")
        toolbar = toolbar_root(browser)
        # A first visit (a new browser, nothing in its localStorage): collapsed to its handle, so it
        # covers none of the page (SHOW_COLLAPSED); a click on the handle opens it.
        assert not toolbar.find_element(By.CSS_SELECTOR, "#djDebugToolbar").is_displayed()
        toolbar.find_element(By.CSS_SELECTOR, "#djShowToolBarButton").click()
        counts, queries = sql_panel_queries(browser, toolbar)

    # The home page counts rows on every database: each alias has queries, listed under its name.
    assert set(counts) == {"default", "app1", "app2"}
    assert all(count >= 1 for count in counts.values()), counts
    assert sorted(alias for alias, _ in queries) == sorted(alias for alias, n in counts.items() for _ in range(n))
    # Each table is read on the alias the router sends its app to, and on no other.
    tables = {alias: set() for alias in counts}
    for alias, sql in queries:
        tables[alias] |= set(TABLE.findall(sql))
    assert tables == {
        "default": {"authapp_shareduser"},
        "app1": {"app1_director", "app1_film"},
        "app2": {"app2_author", "app2_book"},
    }
