"""The admin in a real browser: headless Chromium adds, edits and deletes on MySQL and PostgreSQL.

The test runs twice: with the test settings, in pytest-django's live server, and with the local
settings, in `make run`'s runserver with the debug toolbar (tests/support/browser.py's
local_server). Debian's chromium and chromium-driver drive it (Selenium Manager is never asked to
download anything). Every click is a real one: were the toolbar (or anything else) over the change
form's Delete or History button or the Log out link, Selenium's click would fail
(ElementClickInterceptedException). Each result is then read with plain SQL on the database that
must hold it. The test is transactional (the server's own connections must see committed rows), so
pytest-django runs it after the other database tests and empties every database afterwards. On
failure, a screenshot and the page's HTML go to test-artifacts/.
"""

from typing import NamedTuple

import pytest
from django.contrib.auth.hashers import BasePasswordHasher, PBKDF2PasswordHasher, get_hasher
from django.db import connections
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from authapp.factories import DEMO_PASSWORD, SharedUserFactory
from tests.support.browser import WAIT_SECONDS, chromium, local_server, screenshot_on_failure

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


class Site(NamedTuple):
    url: str
    hasher: BasePasswordHasher  # the first of the server's PASSWORD_HASHERS: the one that checks a login
    toolbar: bool  # whether the debug toolbar is on its pages


@pytest.fixture(params=["config.settings.test", "config.settings.local"], ids=["test", "local"])
def site(request, tmp_path):
    """A server running the settings module: pytest-django's live server, or runserver with the toolbar."""
    if request.param == "config.settings.test":
        yield Site(request.getfixturevalue("live_server").url, get_hasher(), toolbar=False)  # test.py's fast MD5
    else:
        # The local settings keep Django's PASSWORD_HASHERS, PBKDF2 first: they cannot check test.py's MD5.
        with local_server(tmp_path / "runserver.log") as server:
            yield Site(server.url, PBKDF2PasswordHasher(), toolbar=True)


class Admin:
    """The few gestures a person makes in the admin, each waiting for the page it leads to."""

    def __init__(self, driver, base_url):
        self.driver, self.base_url = driver, base_url
        self.wait = WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.05)  # default 0.5 s per poll

    def open(self, path):
        self.driver.get(self.base_url + path)

    def type(self, name, value):
        field = self.driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(str(value))

    def autocomplete(self, name, term, choice):
        """Open the select2 widget of field `name`, search for term, and pick choice."""
        self.driver.find_element(By.CSS_SELECTOR, f".field-{name} .select2-selection").click()
        search = self.wait.until(
            EC.visibility_of_element_located(
                (
                    By.CSS_SELECTOR,
                    f".select2-container--open .select2-search__field, .field-{name} .select2-search__field",
                )
            )
        )
        search.send_keys(term)
        option = (
            By.XPATH,
            f"//li[contains(@class, 'select2-results__option') and normalize-space()='{choice}']",
        )
        self.wait.until(EC.element_to_be_clickable(option)).click()

    def submit(self, selector):
        """Click a submit button and wait for the next page's success message."""
        button = self.driver.find_element(By.CSS_SELECTOR, selector)
        button.click()
        self.wait.until(EC.staleness_of(button))
        try:
            return self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".messagelist .success"))).text
        except TimeoutException:
            errors = self.driver.find_elements(By.CSS_SELECTOR, ".errornote, .errorlist")
            pytest.fail(f"No success message; the page says: {[e.text for e in errors]}", pytrace=False)

    def save(self):
        return self.submit('input[name="_save"]')

    def click_through(self, by, value):
        """Click a link and wait until the page it leads to has replaced this one."""
        link = self.driver.find_element(by, value)
        link.click()
        self.wait.until(EC.staleness_of(link))
        self.wait.until(EC.presence_of_element_located((By.ID, "content")))

    def follow(self, link_text):
        self.click_through(By.LINK_TEXT, link_text)

    def history(self, changelist, link_text):
        """Open an object from its changelist, press History; return the Action column of its history."""
        self.open(changelist)
        self.follow(link_text)
        self.click_through(By.CSS_SELECTOR, "a.historylink")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#change-history tbody tr")
        return [row.find_elements(By.CSS_SELECTOR, "th, td")[-1].text for row in rows]

    def log_out(self):
        """Press Log out in the header's user tools; return the page's title."""
        self.click_through(By.CSS_SELECTOR, "#logout-form button")
        return self.driver.find_element(By.CSS_SELECTOR, "#content h1").text

    def delete(self, changelist, link_text):
        """Open an object from its changelist, press Delete, and confirm."""
        self.open(changelist)
        self.follow(link_text)
        self.click_through(By.CSS_SELECTOR, "a.deletelink")
        confirm = '#content form input[type="submit"]'
        self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, confirm)))
        assert "Are you sure you want to delete" in self.driver.find_element(By.ID, "content").text
        return self.submit(confirm)


def fetch(alias, sql, params=()):
    """Run SQL on the alias's own server, outside the ORM and its routers."""
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_admin_adds_edits_and_deletes_on_each_database(request, browser, site):
    staff = SharedUserFactory(username="browser-admin", is_staff=True, is_superuser=True)
    staff.password = site.hasher.encode(DEMO_PASSWORD, site.hasher.salt())
    staff.save(update_fields=["password"])
    admin = Admin(browser, site.url)
    with screenshot_on_failure(browser, request.node.name):
        admin.open("/admin/login/?next=/admin/")
        admin.type("username", staff.username)
        admin.type("password", DEMO_PASSWORD)
        browser.find_element(By.CSS_SELECTOR, 'input[type="submit"]').click()
        admin.wait.until(EC.presence_of_element_located((By.ID, "user-tools")))
        # The local run has the toolbar on every page, so each click below is made beside it.
        assert bool(browser.find_elements(By.ID, "djDebugRoot")) is site.toolbar

        # MySQL: a director, then a film that picks the director with the autocomplete widget.
        admin.open("/admin/app1/director/add/")
        admin.type("name", "Agnès Varda")
        admin.type("birth_year", 1928)
        assert "was added successfully" in admin.save()
        admin.open("/admin/app1/film/add/")
        admin.type("title", "Cleo from 5 to 7")
        admin.type("year", 1962)
        admin.type("runtime_minutes", 90)
        admin.autocomplete("director", "Varda", "Agnès Varda")
        assert "was added successfully" in admin.save()

        # PostgreSQL: an author, then a book that picks its author with the autocomplete widget.
        admin.open("/admin/app2/author/add/")
        admin.type("name", "Ursula K. Le Guin")
        assert "was added successfully" in admin.save()
        admin.open("/admin/app2/book/add/")
        admin.type("title", "A Wizard of Earthsea")
        admin.type("isbn", "9791000000022")
        admin.autocomplete("authors", "Le Guin", "Ursula K. Le Guin")
        assert "was added successfully" in admin.save()

        # Edit each from its changelist.
        admin.open("/admin/app1/film/")
        admin.follow("Cleo from 5 to 7")
        admin.type("title", "Cléo from 5 to 7")
        assert "was changed successfully" in admin.save()
        admin.open("/admin/app2/book/")
        admin.follow("A Wizard of Earthsea")
        admin.type("pages", 183)
        assert "was changed successfully" in admin.save()

        # History, from the change form: the admin's log (in SQLite) of a film (in MySQL).
        assert admin.history("/admin/app1/film/", "Cléo from 5 to 7") == ["Added.", "Changed Title."]

        # Each row, read on its own server: the film and book point at the staff user by id only.
        (director_id,) = fetch("app1", "SELECT id FROM app1_director WHERE name = %s", ["Agnès Varda"])[0]
        assert fetch("app1", "SELECT title, director_id, year, runtime_minutes, added_by_id FROM app1_film") == [
            ("Cléo from 5 to 7", director_id, 1962, 90, staff.pk)
        ]
        (book_id, pages, added_by_id) = fetch(
            "app2", "SELECT id, pages, added_by_id FROM app2_book WHERE isbn = %s", ["9791000000022"]
        )[0]
        assert (pages, added_by_id) == (183, staff.pk)
        (author_id,) = fetch("app2", "SELECT id FROM app2_author WHERE name = %s", ["Ursula K. Le Guin"])[0]
        assert fetch("app2", "SELECT book_id, author_id FROM app2_book_authors") == [(book_id, author_id)]

        # Delete the film and the book through their confirmation pages.
        assert "was deleted successfully" in admin.delete("/admin/app1/film/", "Cléo from 5 to 7")
        assert "was deleted successfully" in admin.delete("/admin/app2/book/", "A Wizard of Earthsea")

        assert admin.log_out() == "Logged out"

    assert fetch("app1", "SELECT COUNT(*) FROM app1_film") == [(0,)]
    assert fetch("app1", "SELECT COUNT(*) FROM app1_director") == [(1,)]
    assert fetch("app2", "SELECT COUNT(*) FROM app2_book") == [(0,)]
    assert fetch("app2", "SELECT COUNT(*) FROM app2_book_authors") == [(0,)]
    assert fetch("app2", "SELECT COUNT(*) FROM app2_author") == [(1,)]
    # The admin's history lives in SQLite, beside the users: added 4, changed 2, deleted 2.
    log = fetch("default", "SELECT action_flag, object_repr FROM django_admin_log ORDER BY id")
    assert log == [
        (1, "Agnès Varda"),
        (1, "Cleo from 5 to 7 (1962)"),
        (1, "Ursula K. Le Guin"),
        (1, "A Wizard of Earthsea"),
        (2, "Cléo from 5 to 7 (1962)"),
        (2, "A Wizard of Earthsea"),
        (3, "Cléo from 5 to 7 (1962)"),
        (3, "A Wizard of Earthsea"),
    ]
