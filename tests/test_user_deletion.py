"""Deleting a user clears films' and books' references first, outside SQLite's write lock, and waits a bounded time.

These tests commit (transaction=True): the row lock is taken by another connection, which sees only
committed rows, as another request would.
"""

import threading
import time
from contextlib import contextmanager

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone

from app1.factories import FilmFactory
from app1.models import Film
from app2.factories import BookFactory
from app2.models import Book
from authapp.factories import SharedUserFactory
from authapp.models import SharedUser
from routers.references import LOCK_TIMEOUT, ReferencesNotCleared, clear_references

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

LOCKED = {"app1": (Film, FilmFactory), "app2": (Book, BookFactory)}


@contextmanager
def row_locked(model, pk):
    """Hold SELECT ... FOR UPDATE on one row from another connection (a thread of its own) until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic(using=model.objects.db):
                list(model.objects.select_for_update().filter(pk=pk))
                held.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()  # this thread's connections

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(timeout=10), f"could not lock {model._meta.label} {pk}"
    try:
        yield
    finally:
        release.set()
        thread.join(timeout=10)


def in_thread(function):
    """Run function in a thread with its own connections; return (result or exception, seconds taken)."""
    outcome = {}

    def run():
        started = time.monotonic()
        try:
            outcome["value"] = function()
        except Exception as exc:  # handed back to the test
            outcome["value"] = exc
        finally:
            outcome["seconds"] = time.monotonic() - started
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("alias", ["app1", "app2"])
def test_a_locked_row_fails_the_delete_in_bounded_time_and_sqlite_keeps_taking_writes(alias):
    """Another session holds a row lock on a film (MySQL) or book (PostgreSQL) of the user being deleted."""
    model, factory = LOCKED[alias]
    user, bystander = SharedUserFactory(), SharedUserFactory()
    row = factory(added_by=user)

    with row_locked(model, row.pk):
        deleting, deleted = in_thread(user.delete)
        time.sleep(0.5)  # the delete is now waiting on the row lock
        # An unrelated SQLite write (a login's last_login), while the delete waits: it must not queue behind it.
        writing, written = in_thread(
            lambda: SharedUser.objects.filter(pk=bystander.pk).update(last_login=timezone.now())
        )
        writing.join(timeout=10)
        deleting.join(timeout=LOCK_TIMEOUT + 10)

    assert written["value"] == 1
    assert written["seconds"] < 1
    assert isinstance(deleted["value"], ReferencesNotCleared)
    assert f"on '{alias}'" in str(deleted["value"])
    assert "No shared user was deleted" in str(deleted["value"])
    assert LOCK_TIMEOUT <= deleted["seconds"] < LOCK_TIMEOUT + 3
    assert SharedUser.objects.filter(pk=user.pk).exists()

    user.delete()  # the lock is gone: deleting again finishes the job
    assert not SharedUser.objects.filter(pk=user.pk).exists()
    assert model.objects.get(pk=row.pk).added_by_id is None


def test_the_admin_says_which_database_held_the_delete_up_and_deletes_nothing(admin_client):
    user = SharedUserFactory()
    book = BookFactory(added_by=user)
    url = reverse("admin:authapp_shareduser_delete", args=[user.pk])
    with row_locked(Book, book.pk):
        response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    # Back on the confirmation page: the error, and again what the deletion would empty.
    assert [str(m) for m in response.context["messages"]] == [
        f"Could not clear app2.Book.added_by on 'app2' (PostgreSQL) within {LOCK_TIMEOUT} s: canceling statement "
        "due to lock timeout. No shared user was deleted; try again.",
        "1 book on 'app2' (PostgreSQL) will have \"added by\" set to empty.",
    ]
    assert SharedUser.objects.filter(pk=user.pk).exists()
    assert not LogEntry.objects.filter(object_id=str(user.pk), action_flag=DELETION).exists()


def test_the_bulk_delete_action_deletes_and_logs_nothing_when_a_reference_cannot_be_cleared(admin_client):
    users = SharedUserFactory.create_batch(2)
    film = FilmFactory(added_by=users[1])
    data = {"action": "delete_selected", "_selected_action": [u.pk for u in users], "post": "yes"}
    with row_locked(Film, film.pk):
        response = admin_client.post(reverse("admin:authapp_shareduser_changelist"), data, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("Could not clear app1.Film.added_by on 'app1' (MySQL)" in m for m in messages)
    assert not any(m.startswith("Successfully deleted") for m in messages)
    assert SharedUser.objects.filter(pk__in=[u.pk for u in users]).count() == 2
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def lock_wait_timeout():
    """This thread's MySQL session's innodb_lock_wait_timeout."""
    with connections["app1"].cursor() as cursor:
        cursor.execute("SELECT @@SESSION.innodb_lock_wait_timeout")
        return cursor.fetchone()[0]


def test_a_mysql_lock_timeout_names_its_cause_and_leaves_the_session_as_it_was():
    """The clearing UPDATE times out: MySQL's 1205 is the error shown, and the connection keeps its own wait."""
    user = SharedUserFactory()
    film = FilmFactory(added_by=user)
    before = lock_wait_timeout()  # the same persistent connection serves the clearing below
    with row_locked(Film, film.pk), pytest.raises(ReferencesNotCleared) as failure:
        clear_references(SharedUser, [user.pk], timeout=1)
    assert "Lock wait timeout exceeded" in str(failure.value)
    assert "1205" in str(failure.value.__cause__)
    assert lock_wait_timeout() == before != 1


def test_any_post_the_admin_deletes_on_clears_the_references_first(admin_client):
    """Django's delete view deletes on any non-empty POST, not only on the confirmation form's post=yes."""
    user = SharedUserFactory()
    film = FilmFactory(added_by=user)
    response = admin_client.post(reverse("admin:authapp_shareduser_delete", args=[user.pk]), {"confirm": "1"})
    assert response.status_code == 302
    assert not SharedUser.objects.filter(pk=user.pk).exists()
    film.refresh_from_db()
    assert film.added_by_id is None
