"""Route every model to the database that settings.DATABASE_ROUTING names for its app.

Routes reads, writes and migrations by app label, for Django's own apps too, so
nothing falls back to the instance hint or to "default" by accident. A proxy model goes
where its concrete model goes: it has its own app label but reads and writes that model's table. Relations
are allowed within one database, and to the user model (AUTH_USER_MODEL) from
any database; relations between two other databases are refused.

An alias with replicas (settings.DATABASE_REPLICAS) has its reads spread over them
when that is safe (routers/replicas.py); a replica counts as its primary for
relations, and nothing migrates on it.
"""

from contextlib import suppress

from django.apps import apps
from django.conf import settings

from . import replicas


class AppLabelRouter:
    """Send each app's models to one alias, and only there."""

    def __init__(self):
        self.route_app_labels = settings.DATABASE_ROUTING
        # Models that other databases may reference by id (db_constraint=False).
        self.cross_database_models = {settings.AUTH_USER_MODEL.lower()}

    def alias_of(self, model):
        """Return the alias of the app whose table holds model's rows (a proxy's concrete model's); None if unrouted."""
        return self.route_app_labels.get(model._meta.concrete_model._meta.app_label)

    def db_for_read(self, model, **hints):
        """Read a model from its app's alias or one of its replicas; None (no opinion) for unknown apps."""
        alias = self.alias_of(model)
        return alias and replicas.read_alias(alias)

    def db_for_write(self, model, **hints):
        """Write a model to its app's alias; None (no opinion) for unknown apps."""
        alias = self.alias_of(model)
        if alias:
            replicas.pin(alias)  # this context's later reads must see the write
        return alias

    def allow_relation(self, obj1, obj2, **hints):
        """Allow relations within one database and to the shared user from any."""
        # Where each object actually came from, else where its app lives.
        db1 = obj1._state.db or self.alias_of(obj1)
        db2 = obj2._state.db or self.alias_of(obj2)
        if db1 is None or db2 is None:
            return None
        db1, db2 = replicas.primary_of(db1), replicas.primary_of(db2)  # a replica is its primary's data
        if db1 == db2:
            return True
        return self.may_cross(obj1) or self.may_cross(obj2)

    def may_cross(self, obj):
        """Return True if obj is a user: of the user model, a proxy of it, or a multi-table child of it."""
        concrete = obj._meta.concrete_model
        labels = {model._meta.label_lower for model in [concrete, *concrete._meta.get_parent_list()]}
        return bool(labels & self.cross_database_models)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        """Create each app's tables on its own alias and nowhere else (never on a replica)."""
        if replicas.is_replica(db):
            return False
        model = hints.get("model")  # given by migrate, by the routing checks, and by RunPython/RunSQL hints
        if model is None and model_name:  # RunPython(hints={"model_name": ...}) names the model only
            # A model the migration history knows and the code no longer has: route by app.
            with suppress(LookupError):
                model = apps.get_model(app_label, model_name)
        alias = self.alias_of(model) if model is not None else self.route_app_labels.get(app_label)
        if alias is None:
            return None
        return db == alias
