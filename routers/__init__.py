"""The multi-database kit: copy this folder into a project and it works there.

It imports nothing else of this project. To use it:

    INSTALLED_APPS += ["routers"]  # the routing checks and the database commands
    DATABASE_ROUTING = {"auth": "default", ..., "shop": "orders"}  # every app with models -> its alias
    DATABASE_ROUTERS = ["routers.router.AppLabelRouter"]

    # Optional: integer columns holding ids of a model on another alias, and history to leave alone.
    DATABASE_REFERENCES = {"history.HistoricalOrder.history_user_id": AUTH_USER_MODEL}
    DATABASE_REFERENCES_KEEP = ["history.HistoricalOrder"]

router.py routes by app label (a proxy by its concrete model); admin.py holds the admin bases;
checks.py the routing checks; references.py clears references by id from other databases before a
referenced row is deleted (ClearReferencesMixin, ClearReferencesQuerySet); connectivity.py names an
alias without leaking its password; management/commands/ holds routes, migrate_all, references,
create_databases, wait_for_databases, and a `check` that names a database it cannot reach.
Runs on Django 5.2 LTS and 6.x.
"""
