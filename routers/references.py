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
references` finds the ids that point nowhere; `references --fix` clears them.
"""

from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import DatabaseError, connections, models, router, transaction

from .connectivity import describe, redact

# Seconds a clearing UPDATE may wait for a row lock: far below SQLite's busy timeout (20 s here),
# so a locked film can never make a login fail with "database is locked".
LOCK_TIMEOUT = 2
BATCH_SIZE = 1000  # ids per UPDATE: well inside every engine's limit on query parameters


class ReferencesNotCleared(DatabaseError):
    """A database holding references could not clear them in time; the referenced rows were kept."""


@dataclass(frozen=True)
class Reference:
    """A column of one database's table holding ids of `target` rows, which live in another database."""

    field: models.Field  # a ForeignKey(db_constraint=False), or an integer field named in DATABASE_REFERENCES
    target: type[models.Model]
    kept: bool  # history (DATABASE_REFERENCES_KEEP): never cleared, still guarded against reused ids

    @property
    def model(self):
        return self.field.model

    @property
    def column(self):
        """The attribute holding the id: "added_by_id" for a ForeignKey, the field's own name otherwise."""
        return self.field.attname

    def __str__(self):
        return f"{self.model._meta.label}.{self.field.name} -> {self.target._meta.label}"


def field_by_label(label):
    """Return (model, field) for "app.Model.field", (model, None) for "app.Model"; LookupError if unknown."""
    try:
        app_label, model_name, *rest = label.split(".")
    except ValueError:
        raise LookupError("not 'app_label.Model' or 'app_label.Model.field'") from None
    model = apps.get_model(app_label, model_name)
    if not rest:
        return model, None
    try:
        return model, model._meta.get_field(rest[0])
    except FieldDoesNotExist:
        raise LookupError(f"{model._meta.label} has no field '{rest[0]}'") from None


def setting_entry(setting, label):
    """Resolve one label of a setting with field_by_label; ImproperlyConfigured naming both if it names nothing."""
    try:
        return field_by_label(label)
    except LookupError as exc:
        raise ImproperlyConfigured(f"settings.{setting}: '{label}': {exc}") from None


def declared_references():
    """Return [(field, target model)] for settings.DATABASE_REFERENCES."""
    declared = []
    for label, target in getattr(settings, "DATABASE_REFERENCES", {}).items():
        _, field = setting_entry("DATABASE_REFERENCES", label)
        target_model, extra = setting_entry("DATABASE_REFERENCES", target)
        if field is None or extra is not None:
            raise ImproperlyConfigured(
                f"settings.DATABASE_REFERENCES: '{label}': '{target}': name a field, then the model it refers to."
            )
        declared.append((field, target_model))
    return declared


def kept():
    """Return the fields, and the concrete models, that settings.DATABASE_REFERENCES_KEEP names as history."""
    names = set()
    for label in getattr(settings, "DATABASE_REFERENCES_KEEP", ()):
        model, field = setting_entry("DATABASE_REFERENCES_KEEP", label)
        names.add(field if field is not None else model._meta.concrete_model)
    return names


def cross_database_references():
    """Return every Reference, once: foreign keys whose model and target live apart, then DATABASE_REFERENCES."""
    fields = [
        (field, field.related_model)
        for model in apps.get_models()
        if not model._meta.proxy  # a proxy's fields are its concrete model's
        for field in model._meta.local_concrete_fields  # a child's inherited fields are its parent's
        if field.many_to_one and router.db_for_write(model) != router.db_for_write(field.related_model)
    ]
    history = kept()
    return [
        Reference(field, target, field in history or field.model._meta.concrete_model in history)
        for field, target in dict.fromkeys([*fields, *declared_references()])
    ]


def root_of(model):
    """Return the model whose table hands out model's ids: its topmost parent under multi-table inheritance."""
    concrete = model._meta.concrete_model
    return next((parent for parent in concrete._meta.get_parent_list() if not parent._meta.parents), concrete)


def same_rows(model):
    """Return the concrete models whose rows share model's ids: its root and every model inheriting from it."""
    root = root_of(model)
    return {root, *(other for other in apps.get_models() if root in other._meta.get_parent_list())}


def references_to(model):
    """Return the references on other databases to rows of model, or to the rows their deletion takes along."""
    # Deleting a child deletes its parents' rows, and deleting a parent its children's: same primary keys.
    targets = same_rows(model)
    return [reference for reference in cross_database_references() if reference.target._meta.concrete_model in targets]


def batches(values, size=BATCH_SIZE):
    """Yield lists of at most size values."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


@contextmanager
def bounded_transaction(alias, seconds=LOCK_TIMEOUT):
    """A transaction on alias in which a statement fails after `seconds` waiting for a row lock."""
    connection = connections[alias]
    if connection.vendor == "postgresql":
        with postgresql_lock_timeout(connection, seconds):
            yield
        return
    if connection.vendor != "mysql":
        with transaction.atomic(using=alias):
            yield  # SQLite: its busy timeout bounds the wait already
        return
    # MySQL has no transaction-scoped lock wait: set the session's, and put it back once the transaction
    # is over. Inside a failed atomic block no statement runs, so the old value could not come back there.
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@SESSION.innodb_lock_wait_timeout")
        (previous,) = cursor.fetchone()
        cursor.execute("SET SESSION innodb_lock_wait_timeout = %s", [max(1, round(seconds))])
    try:
        with transaction.atomic(using=alias):
            yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET SESSION innodb_lock_wait_timeout = %s", [previous])
        except DatabaseError:
            # Broken connection, or an outer block that failed: close it, so no later request inherits the
            # short wait; the error that got us here stays the one raised.
            connection.close()


@contextmanager
def postgresql_lock_timeout(connection, seconds):
    """A transaction (a savepoint, inside a caller's) with lock_timeout set to `seconds`, the caller's put back."""
    # set_config(..., true) lasts until the end of the *outer* transaction: a caller's own block
    # would keep the short wait for its later statements unless the old value is put back.
    outer = connection.in_atomic_block
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('lock_timeout')")
            (previous,) = cursor.fetchone()
            # set_config() because SET takes no parameters.
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(seconds * 1000)}ms"])
        yield
    if outer and not connection.needs_rollback:  # after a failure, the savepoint's rollback undid it
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def clear_references(model, pks, *, timeout=LOCK_TIMEOUT):
    """Null every reference to these rows of model that is not history, each on its own database, in batches."""
    pks = list(pks)
    for reference in references_to(model):
        if reference.kept:
            continue
        alias = router.db_for_write(reference.model)
        rows = reference.model._base_manager.using(alias)
        try:
            for batch in batches(pks):
                with bounded_transaction(alias, timeout):
                    rows.filter(**{f"{reference.column}__in": batch}).update(**{reference.column: None})
        except DatabaseError as exc:
            reason = redact(alias, str(exc)).strip().splitlines()[0]  # PostgreSQL adds CONTEXT lines
            raise ReferencesNotCleared(
                f"Could not clear {reference.model._meta.label}.{reference.field.name} on "
                f"{describe(alias, where=False)} within {timeout} s: {reason}. "
                f"No {model._meta.verbose_name} was deleted; try again."
            ) from exc


def count_references(model, pks):
    """Return (reference, alias, rows) for each reference to these rows of model that holds any and is not history."""
    pks = list(pks)
    counts = []
    for reference in references_to(model):
        if reference.kept:
            continue
        alias = router.db_for_write(reference.model)
        rows = reference.model._base_manager.using(alias).filter(**{f"{reference.column}__in": pks}).count()
        if rows:
            counts.append((reference, alias, rows))
    return counts


def check_deletable(queryset):
    """Raise Django's own TypeError for a queryset delete() refuses, before anything is cleared."""
    # The same tests, in the same order, as QuerySet.delete() makes before it deletes anything.
    queryset._not_support_combined_queries("delete")
    if queryset.query.is_sliced:
        raise TypeError("Cannot use 'limit' or 'offset' with delete().")
    if queryset.query.distinct_fields:
        raise TypeError("Cannot call delete() after .distinct(*fields).")
    if queryset._fields is not None:
        raise TypeError("Cannot call delete() after .values() or .values_list()")


class ClearReferencesQuerySet(models.QuerySet):
    """A QuerySet whose delete() clears the references from other databases first."""

    def delete(self):
        """Clear references to the selected rows, then delete them."""
        check_deletable(self)
        # Read as delete() will: from the alias written to, without the row locks delete() drops too.
        selected = self._chain()
        selected.query.select_for_update = False
        selected._for_write = True
        clear_references(self.model, selected.values_list("pk", flat=True))
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
