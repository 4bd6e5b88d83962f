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
  routers.E012  A proxy model is read or written away from its concrete model (whose table it uses).
  routers.E013  A model with a generic foreign key lives on another alias than the content types.
  routers.E014  A generic relation joins models on different aliases, or off the content types' alias.
  routers.E015  DATABASE_REFERENCES or DATABASE_REFERENCES_KEEP names something that does not exist or cannot be one.
  routers.E016  An app of proxy models only is missing from DATABASE_ROUTING: its data migrations run everywhere.
  routers.E017  A cross-database foreign key points at another field than the primary key (to_field).
"""

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import connections, models, router

from .references import ClearReferencesMixin, ClearReferencesQuerySet, field_by_label
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


def check_unrouted_proxy_apps(app_configs=None, **kwargs):
    """Every app of proxies only is in DATABASE_ROUTING (E002/E003 find an unrouted app with tables of its own)."""
    routing = getattr(settings, "DATABASE_ROUTING", None)
    if not routing:
        return []  # routed some other way
    errors = []
    for config in app_configs or apps.get_app_configs():
        app_models = list(config.get_models())
        if app_models and config.label not in routing and all(model._meta.proxy for model in app_models):
            errors.append(
                checks.Error(
                    f"App '{config.label}' has only proxy models and is not in DATABASE_ROUTING: its data "
                    "migrations (RunPython, RunSQL without a model hint) would run on every database.",
                    hint=f"Route '{config.label}' to the alias of the models it proxies.",
                    obj="settings.DATABASE_ROUTING",
                    id="routers.E016",
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
    if field.target_field != target._meta.pk:
        errors.append(
            checks.Error(
                f"{name} relates {between} by {target._meta.label}.{field.target_field.name} (to_field): the kit "
                "clears and checks references by primary key.",
                hint="Point the foreign key at the primary key (remove to_field).",
                obj=field,
                id="routers.E017",
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
                "on the model and ClearReferencesQuerySet behind its default manager. If a third-party app "
                "declares the field, store the id in an integer field instead (django-simple-history: "
                "history_user_id_field) and name it in settings.DATABASE_REFERENCES.",
                obj=field,
                id="routers.E009",
            )
        )
    if allowed:  # a refused relation (E007) needs no clearing
        errors.extend(clearing_errors(field, target))
    return errors


def clearing_errors(field, target):
    """Return W002 if deleting a row of target would leave field's references to it pointing at no row."""
    if clears_references(target):
        return []
    source_alias, target_alias = router.db_for_write(field.model), router.db_for_write(target)
    between = f"{field.model._meta.label} ('{source_alias}') and {target._meta.label} ('{target_alias}')"
    return [
        checks.Warning(
            f"{field.model._meta.label}.{field.name} relates {between}, but deleting a {target._meta.label} does "
            f"not clear the references to it on '{source_alias}': they would point at no row.",
            hint=f"Give {target.__name__} routers.references.ClearReferencesMixin, and a default manager "
            "built on ClearReferencesQuerySet (Manager.from_queryset).",
            obj=field,
            id="routers.W002",
        )
    ]


def clears_references(model):
    """Return True if deleting rows of model, one or by queryset, clears references to them first."""
    queryset_class = getattr(model._default_manager, "_queryset_class", models.QuerySet)
    return issubclass(model, ClearReferencesMixin) and issubclass(queryset_class, ClearReferencesQuerySet)


def relation_allowed(model, model_alias, target, target_alias):
    """Ask the routers whether an object of model may refer to one of target, each on its alias."""
    obj, related = model(), target()
    obj._state.db, related._state.db = model_alias, target_alias
    return router.allow_relation(obj, related)


def check_proxies(app_configs=None, **kwargs):
    """Every proxy model is read and written where its concrete model is: the rows are in that model's table."""
    errors = []
    with primary_only():
        for model in installed_models(app_configs):
            if not model._meta.proxy:
                continue
            concrete = model._meta.concrete_model
            for action, method in (("read from", "db_for_read"), ("written to", "db_for_write")):
                alias, home = getattr(router, method)(model), getattr(router, method)(concrete)
                if alias != home:
                    errors.append(
                        checks.Error(
                            f"{model._meta.label} is {action} '{alias}', but it is a proxy of "
                            f"{concrete._meta.label}, whose table is on '{home}'.",
                            hint=f"Route a proxy by its concrete model (model._meta.concrete_model._meta.app_label): "
                            f"make the router's {method}() return '{home}' for {model._meta.label} "
                            "(AppLabelRouter does).",
                            obj=model,
                            id="routers.E012",
                        )
                    )
    return errors


def check_generic_relations(app_configs=None, **kwargs):
    """Generic foreign keys and generic relations live on the content types' alias, each pair on one alias."""
    if not apps.is_installed("django.contrib.contenttypes"):
        return []
    from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
    from django.contrib.contenttypes.models import ContentType

    home = router.db_for_write(ContentType)
    errors = []
    for model in installed_models(app_configs):
        alias = router.db_for_write(model)
        for field in model._meta.private_fields:
            if isinstance(field, GenericForeignKey) and alias != home:
                errors.append(
                    checks.Error(
                        f"{model._meta.label}.{field.name} is a generic foreign key on '{alias}', but content types "
                        f"are on '{home}': Django looks the ContentType up on '{alias}', where it is not.",
                        hint=f"Route app '{model._meta.app_label}' to '{home}', the alias of django.contrib."
                        "contenttypes, or replace the generic foreign key with ForeignKey(db_constraint=False, "
                        "on_delete=models.DO_NOTHING) fields to the models it points at.",
                        obj=field,
                        id="routers.E013",
                    )
                )
            elif isinstance(field, GenericRelation) and not isinstance(field.related_model, str):
                errors.extend(generic_relation_errors(field, home))
    return errors


def generic_relation_errors(field, home):
    """Return E014 for a GenericRelation whose model, or whose related model, is not on the content types' alias."""
    model, related = field.model, field.related_model
    alias, related_alias = router.db_for_write(model), router.db_for_write(related)
    if alias == related_alias == home:
        return []
    return [
        checks.Error(
            f"{model._meta.label}.{field.name} is a generic relation between {model._meta.label} ('{alias}') and "
            f"{related._meta.label} ('{related_alias}'), with content types on '{home}': reading it and deleting "
            f"a {model.__name__} look both the content type and the related rows up on '{alias}'.",
            hint=f"Keep {model._meta.label} and {related._meta.label} on '{home}' with django.contrib.contenttypes, "
            f"or remove the GenericRelation (a third-party app's generic models work only for objects on '{home}').",
            obj=field,
            id="routers.E014",
        )
    ]


def check_declared_references(app_configs=None, **kwargs):
    """Every DATABASE_REFERENCES entry is a clearable integer field referring to a model on another alias."""
    errors = []
    for label, target_label in getattr(settings, "DATABASE_REFERENCES", {}).items():
        problem, field, target = declared_reference(label, target_label)
        if problem:
            errors.append(reference_setting_error("DATABASE_REFERENCES", problem))
        else:
            errors.extend(clearing_errors(field, target))
    for label in getattr(settings, "DATABASE_REFERENCES_KEEP", ()):
        try:
            field_by_label(label)
        except LookupError as exc:
            errors.append(reference_setting_error("DATABASE_REFERENCES_KEEP", f"'{label}': {exc}"))
    return errors


def declared_reference(label, target_label):
    """Return (problem or "", field, target) for one DATABASE_REFERENCES entry."""
    try:
        model, field = field_by_label(label)
        target, target_field = field_by_label(target_label)
    except LookupError as exc:
        return f"'{label}': {exc}", None, None
    if target_field is not None:
        return f"'{label}': '{target_label}' must name a model, not a field", None, None
    if not isinstance(field, models.IntegerField) or field.primary_key or not field.null:
        # A ForeignKey is no IntegerField, and clearing writes NULL.
        return f"'{label}' must name an integer field with null=True, not a primary key", None, None
    pk = target._meta.pk
    while pk.is_relation:  # a multi-table child's pk is its parent's: follow it to the integer
        pk = pk.target_field
    if not isinstance(pk, models.IntegerField):
        return f"'{label}': {target._meta.label} has no integer primary key to refer to", None, None
    if router.db_for_write(model) == router.db_for_write(target):
        return f"'{label}' and {target._meta.label} are on one alias: use a ForeignKey", None, None
    return "", field, target


def reference_setting_error(setting, problem):
    return checks.Error(
        f"settings.{setting}: {problem.rstrip('.')}.",
        hint="Name a nullable integer field as 'app_label.Model.field', and the model whose integer ids it "
        "holds as 'app_label.Model' (docs/patterns.md, \"Third-party apps across databases\").",
        obj=f"settings.{setting}",
        id="routers.E015",
    )


ALL = [
    check_routing_aliases,
    check_unrouted_proxy_apps,
    check_migrate_aliases,
    check_read_write_aliases,
    check_admin_using,
    check_cross_database_relations,
    check_replicas,
    check_proxies,
    check_generic_relations,
    check_declared_references,
]
