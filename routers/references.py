"""References by id to rows in another database, kept from dangling when those rows are deleted.

A Film (MySQL) or Book (PostgreSQL) records the user (SQLite) who added it with a
ForeignKey(db_constraint=False, on_delete=DO_NOTHING, null=True): Django's deletion collector
looks for related rows on the *deleted row's* database, so any other on_delete would query
app1_film in SQLite, and no server can enforce the key. So nothing cascades across databases,
and deleting a referenced row must first clear the references to it, each on its own database.

That clearing must happen *before* the row's own deletion transaction begins: receivers of
pre_delete run inside it, and on SQLite (transaction_mode IMMEDIATE) that transaction holds the
write lock from BEGIN, so a wait on MySQL or PostgreSQL would block every SQLite writer. Each
clearing UPDATE also waits at most LOCK_TIMEOUT seconds for a row lock on its server.

Nothing makes the pair atomic: a row can be added for a user while that user is being deleted,
and an outer atomic() on the referencing database can roll the clearing back. `manage.py
references --check` finds the ids that point nowhere; `--fix` clears them.
"""

from contextlib import contextmanager

from django.apps import apps
from django.db import DatabaseError, connections, models, router, transaction

from .connectivity import describe, redact

# Seconds a clearing UPDATE may wait for a row lock: far below SQLite's busy timeout (20 s here),
# so a locked film can never make a login fail with "database is locked".
LOCK_TIMEOUT = 2
BATCH_SIZE = 1000  # ids per UPDATE: well inside every engine's limit on query parameters


class ReferencesNotCleared(DatabaseError):
    """A database holding references could not clear them in time; the referenced rows were kept."""


def cross_database_references():
    """Return every foreign key whose model and target live on different databases."""
    return [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.many_to_one and router.db_for_write(model) != router.db_for_write(field.related_model)
    ]


def references_to(model):
    """Return the foreign keys on other databases that point at model."""
    return [field for field in cross_database_references() if field.related_model is model._meta.concrete_model]


def batches(values, size=BATCH_SIZE):
    """Yield lists of at most size values."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


@contextmanager
def bounded_lock_wait(alias, seconds=LOCK_TIMEOUT):
    """Inside an atomic block on alias: make a statement fail after `seconds` waiting for a row lock."""
    connection = connections[alias]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # SET LOCAL: for this transaction only. set_config() because SET takes no parameters.
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(seconds * 1000)}ms"])
        yield
    elif connection.vendor == "mysql":
        # No transaction-scoped form on MySQL 8: set the session's, then put the old value back.
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@SESSION.innodb_lock_wait_timeout")
            (previous,) = cursor.fetchone()
            cursor.execute("SET SESSION innodb_lock_wait_timeout = %s", [max(1, round(seconds))])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET SESSION innodb_lock_wait_timeout = %s", [previous])
    else:
        yield  # SQLite: its busy timeout bounds the wait already


def clear_references(model, pks, *, timeout=LOCK_TIMEOUT):
    """Null every reference to these rows of model, each on its own database, in batches."""
    pks = list(pks)
    for field in references_to(model):
        alias = router.db_for_write(field.model)
        rows = field.model._base_manager.using(alias)
        try:
            for batch in batches(pks):
                with transaction.atomic(using=alias), bounded_lock_wait(alias, timeout):
                    rows.filter(**{f"{field.attname}__in": batch}).update(**{field.attname: None})
        except DatabaseError as exc:
            reason = redact(alias, str(exc)).strip().splitlines()[0]  # PostgreSQL adds CONTEXT lines
            raise ReferencesNotCleared(
                f"Could not clear {field.model._meta.label}.{field.name} on {describe(alias, where=False)} "
                f"within {timeout} s: {reason}. "
                f"No {model._meta.verbose_name} was deleted; try again."
            ) from exc


def count_references(model, pks):
    """Return (field, alias, rows) for each reference to these rows of model that holds any."""
    pks = list(pks)
    counts = []
    for field in references_to(model):
        alias = router.db_for_write(field.model)
        rows = field.model._base_manager.using(alias).filter(**{f"{field.attname}__in": pks}).count()
        if rows:
            counts.append((field, alias, rows))
    return counts


class ClearReferencesQuerySet(models.QuerySet):
    """A QuerySet whose delete() clears the references from other databases first."""

    def delete(self):
        """Clear references to the selected rows, then delete them."""
        clear_references(self.model, self.values_list("pk", flat=True))
        return super().delete()


class ClearReferencesMixin:
    """A model mixin whose delete() clears the references from other databases first."""

    def delete(self, using=None, keep_parents=False, *, references_cleared=False):
        """Clear references to this row (unless the caller has), then delete it."""
        if not references_cleared:
            clear_references(type(self), [self.pk])
        return super().delete(using=using, keep_parents=keep_parents)


class RoutedNaturalKeyMixin:
    """A manager mixin: get_by_natural_key() reads where the router reads the model.

    loaddata --database=app1 resolves a film's natural key for its user with
    `User._default_manager.db_manager("app1").get_by_natural_key(...)`: on MySQL, which has no
    user table. The user lives where the router says, whatever database is being loaded.
    """

    def get_by_natural_key(self, *key):
        """Look the key up on the model's own database."""
        home = self.db_manager(router.db_for_read(self.model))
        return super(RoutedNaturalKeyMixin, home).get_by_natural_key(*key)
