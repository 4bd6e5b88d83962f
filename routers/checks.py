"""System checks that catch a routing mistake before it reaches a database.

RoutersConfig.ready() registers them under the "routing" tag, so they run on every
`manage.py check`, `runserver` and `migrate` (checks tagged "database" run only with
`check --database`). They ask the configured routers and read settings and the admin
registry; they never connect to a server, so they work while a database is down.

  routers.E001  DATABASE_ROUTING names an alias that is not in DATABASES.
  routers.W001  DATABASE_ROUTING names an app label that is not installed.
  routers.E002  A model may migrate on no alias: its table would be created nowhere.
  routers.E003  A model may migrate on several aliases: a table on each, rows split.
  routers.E004  A model is read from another alias than the one it migrates on.
  routers.E005  A model is written to another alias than the one it migrates on.
  routers.E006  An admin's (or inline's) `using` is not the alias the router names.
  routers.E007  A foreign key crosses databases and the router refuses the relation.
  routers.E008  A cross-database foreign key has a database constraint.
  routers.E009  A cross-database foreign key has an on_delete other than DO_NOTHING.
  routers.E010  A many-to-many crosses databases (its join table cannot).
  routers.W002  Deleting the target of a cross-database foreign key would not clear the references.
  routers.E011  DATABASE_REPLICAS names an alias that is not in DATABASES, or an app is routed to a replica.
"""

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import connections, models, router

from .references import ClearReferencesMixin, ClearReferencesQuerySet
from .replicas import primary_of, primary_only

TAG = "routing"


def installed_models(app_configs=None):
    """Return the models of app_configs (every installed app if None), m2m tables included."""
    if app_configs is None:
        return apps.get_models(include_auto_created=True)
    return [model for config in app_configs for model in config.get_models(include_auto_created=True)]


def migrate_aliases(model):
    """Return the aliases the routers let model migrate on, in DATABASES order."""
    # router.allow_migrate() rather than allow_migrate_model(): that one answers False for proxy
    # and unmanaged models before asking any router, and their home database matters too.
    opts = model._meta
    return [
        alias
        for alias in connections
        if router.allow_migrate(alias, opts.app_label, model_name=opts.model_name, model=model)
    ]


def check_routing_aliases(app_configs=None, **kwargs):
    """Every alias named in DATABASE_ROUTING exists; every app label named there is installed."""
    routing = getattr(settings, "DATABASE_ROUTING", {})
    labels = {config.label for config in apps.get_app_configs()}
    known = ", ".join(repr(alias) for alias in settings.DATABASES)
    errors = []
    for app_label, alias in routing.items():
        if alias not in settings.DATABASES:
            errors.append(
                checks.Error(
                    f"DATABASE_ROUTING sends app '{app_label}' to alias '{alias}', which is not in DATABASES.",
                    hint=f"Route '{app_label}' to one of {known}, or add '{alias}' to DATABASES.",
                    obj="settings.DATABASE_ROUTING",
                    id="routers.E001",
                )
            )
        if app_label not in labels:
            errors.append(
                checks.Warning(
                    f"DATABASE_ROUTING routes app label '{app_label}', which no installed app has.",
                    hint="Correct the app label (AppConfig.label, e.g. 'auth' for django.contrib.auth) "
                    "or remove the entry.",
                    obj="settings.DATABASE_ROUTING",
                    id="routers.W001",
                )
            )
    return errors


def check_migrate_aliases(app_configs=None, **kwargs):
    """Every model may migrate on exactly one alias."""
    errors = []
    for model in installed_models(app_configs):
        label, app_label = model._meta.label, model._meta.app_label
        aliases = migrate_aliases(model)
        if not aliases:
            errors.append(
                checks.Error(
                    f"{label} may migrate on no database: its table would be created nowhere.",
                    hint=f"Route app '{app_label}' to one alias: add it to DATABASE_ROUTING, or make a "
                    "router's allow_migrate() return True for exactly one alias in DATABASES.",
                    obj=model,
                    id="routers.E002",
                )
            )
        elif len(aliases) > 1:
            errors.append(
                checks.Error(
                    f"{label} may migrate on {len(aliases)} databases ({', '.join(aliases)}): "
                    "its table would be created on each and its rows split between them.",
                    hint=f"Add '{app_label}' to DATABASE_ROUTING, or make a router's allow_migrate() "
                    "return True for one alias and False for the others (when every router returns "
                    "None, Django allows the migration).",
                    obj=model,
                    id="routers.E003",
                )
            )
    return errors


def check_read_write_aliases(app_configs=None, **kwargs):
    """Every model is read from and written to the alias it migrates on."""
    errors = []
    with primary_only():  # a replica serving reads is not a mistake (and asking it would connect)
        for model in installed_models(app_configs):
            errors.extend(read_write_errors(model))
    return errors


def read_write_errors(model):
    """Return E004/E005 for one model read or written away from the alias it migrates on."""
    aliases = migrate_aliases(model)
    if len(aliases) != 1:
        return []  # E002 or E003 already says why.
    (home,) = aliases
    errors = []
    for action, method, check_id in (
        ("read from", "db_for_read", "routers.E004"),
        ("written to", "db_for_write", "routers.E005"),
    ):
        alias = getattr(router, method)(model)
        if alias != home:
            errors.append(
                checks.Error(
                    f"{model._meta.label} is {action} '{alias}' but migrates on '{home}': "
                    f"'{alias}' has no such table, or a stale copy of it.",
                    hint=f"Make the router's {method}() return '{home}' for app "
                    f"'{model._meta.app_label}' (a router that returns None defers to the next "
                    "router, then to the instance hint, then to 'default').",
                    obj=model,
                    id=check_id,
                )
            )
    return errors


def check_replicas(app_configs=None, **kwargs):
    """Every alias DATABASE_REPLICAS names exists, and no app is routed (written) to a replica."""
    errors = []
    for primary, aliases in getattr(settings, "DATABASE_REPLICAS", {}).items():
        for alias in [primary, *aliases]:
            if alias not in settings.DATABASES:
                errors.append(
                    checks.Error(
                        f"DATABASE_REPLICAS names alias '{alias}', which is not in DATABASES.",
                        hint=f"Add '{alias}' to DATABASES or remove it from DATABASE_REPLICAS.",
                        obj="settings.DATABASE_REPLICAS",
                        id="routers.E011",
                    )
                )
    for app_label, alias in getattr(settings, "DATABASE_ROUTING", {}).items():
        if primary_of(alias) != alias:
            errors.append(
                checks.Error(
                    f"DATABASE_ROUTING sends app '{app_label}' to '{alias}', a replica of "
                    f"'{primary_of(alias)}': its writes would fail on a read-only server.",
                    hint=f"Route '{app_label}' to '{primary_of(alias)}'; its reads go to the replicas by themselves.",
                    obj="settings.DATABASE_ROUTING",
                    id="routers.E011",
                )
            )
    return errors


def check_admin_using(app_configs=None, sites=None, **kwargs):
    """Every admin and inline with a `using` attribute uses the alias the router names."""
    if not apps.is_installed("django.contrib.admin"):
        return []
    from django.contrib.admin.sites import all_sites

    errors = []
    for site in all_sites if sites is None else sites:
        for model, model_admin in site._registry.items():
            if app_configs is not None and model._meta.app_config not in app_configs:
                continue
            admins = [(type(model_admin), model)] + [(inline, inline.model) for inline in model_admin.inlines]
            for admin_class, admin_model in admins:
                using = getattr(admin_class, "using", None)
                if using is None:
                    continue  # No `using`: this admin reads and writes through the router.
                routed = router.db_for_write(admin_model)
                if using != routed and routed in settings.DATABASES:  # else E001 says why
                    errors.append(
                        checks.Error(
                            f"{admin_class.__qualname__} (admin site '{site.name}') has using = "
                            f"'{using}', but the router writes {admin_model._meta.label} to '{routed}'.",
                            hint=f"Set using = '{routed}' on {admin_class.__qualname__} (subclass the "
                            f"admin base of the app that lives on '{routed}'), or correct DATABASE_ROUTING.",
                            obj=admin_class,
                            id="routers.E006",
                        )
                    )
    return errors


def check_cross_database_relations(app_configs=None, **kwargs):
    """Every relation between two databases is an allowed id reference that cannot cascade."""
    errors = []
    for model in installed_models(app_configs):
        if model._meta.auto_created:
            continue  # A many-to-many table: its ManyToManyField is checked instead.
        for field in model._meta.local_fields + model._meta.local_many_to_many:
            if not field.is_relation or isinstance(field.related_model, str):
                continue  # Not a relation, or a lazy reference Django's own checks report.
            errors.extend(cross_database_relation_errors(field))
    return errors


def cross_database_relation_errors(field):
    """Return the errors of one foreign key or many-to-many, if its two ends are in different databases."""
    model, target = field.model, field.related_model
    source_alias, target_alias = router.db_for_write(model), router.db_for_write(target)
    if source_alias == target_alias:
        return []
    name = f"{model._meta.label}.{field.name}"
    between = f"{model._meta.label} ('{source_alias}') and {target._meta.label} ('{target_alias}')"
    if field.many_to_many:
        return [
            checks.Error(
                f"{name} is a many-to-many between {between}: its join table can live in only one "
                "database, and every query through it joins across both.",
                hint=f"Move {model._meta.label} and {target._meta.label} to one database, or replace the "
                f"many-to-many with a model on '{source_alias}' holding ForeignKey(db_constraint=False, "
                "on_delete=models.DO_NOTHING) references.",
                obj=field,
                id="routers.E010",
            )
        ]
    errors = []
    allowed = relation_allowed(model, source_alias, target, target_alias)
    if not allowed:
        errors.append(
            checks.Error(
                f"{name} relates {between}, and the router's allow_relation() refuses that pair: "
                "assigning one to the other raises ValueError.",
                hint=f"Keep both models in one database, or let allow_relation() accept "
                f"{target._meta.label} from other databases (AppLabelRouter allows only the user model).",
                obj=field,
                id="routers.E007",
            )
        )
    if field.db_constraint:
        errors.append(
            checks.Error(
                f"{name} relates {between} with db_constraint=True: migrate on '{source_alias}' would "
                f"create a foreign key to a table that is not in that database.",
                hint="Pass db_constraint=False: no database can enforce a reference into another one.",
                obj=field,
                id="routers.E008",
            )
        )
    on_delete = field.remote_field.on_delete
    if on_delete is not models.DO_NOTHING:
        errors.append(
            checks.Error(
                f"{name} relates {between} with on_delete={on_delete.__name__}: deleting a row "
                f"of {target._meta.label} makes Django look for {model._meta.label} rows on "
                f"'{target_alias}', where its table does not exist.",
                hint="Use on_delete=models.DO_NOTHING with null=True, and let deleting a "
                f"{target.__name__} clear the references first: routers.references.ClearReferencesMixin "
                "on the model and ClearReferencesQuerySet behind its default manager.",
                obj=field,
                id="routers.E009",
            )
        )
    if allowed and not clears_references(target):  # a refused relation (E007) needs no clearing
        errors.append(
            checks.Warning(
                f"{name} relates {between}, but deleting a {target._meta.label} does not clear the "
                f"references to it on '{source_alias}': they would point at no row.",
                hint=f"Give {target.__name__} routers.references.ClearReferencesMixin, and a default manager "
                "built on ClearReferencesQuerySet (Manager.from_queryset).",
                obj=field,
                id="routers.W002",
            )
        )
    return errors


def clears_references(model):
    """Return True if deleting rows of model, one or by queryset, clears references to them first."""
    queryset_class = getattr(model._default_manager, "_queryset_class", models.QuerySet)
    return issubclass(model, ClearReferencesMixin) and issubclass(queryset_class, ClearReferencesQuerySet)


def relation_allowed(model, model_alias, target, target_alias):
    """Ask the routers whether an object of model may refer to one of target, each on its alias."""
    obj, related = model(), target()
    obj._state.db, related._state.db = model_alias, target_alias
    return router.allow_relation(obj, related)


ALL = [
    check_routing_aliases,
    check_migrate_aliases,
    check_read_write_aliases,
    check_admin_using,
    check_cross_database_relations,
    check_replicas,
]
