"""The multi-database kit: copy this folder into a project and it works there.

It imports nothing else of this project. To use it:

    INSTALLED_APPS += ["routers"]  # the routing checks and the database commands
    DATABASE_ROUTING = {"auth": "default", ..., "shop": "orders"}  # every app with models -> its alias
    DATABASE_ROUTERS = ["routers.router.AppLabelRouter"]

router.py routes by app label; admin.py holds the admin bases; checks.py the routing checks;
references.py clears references by id from other databases before a referenced row is deleted
(ClearReferencesMixin, ClearReferencesQuerySet); connectivity.py names an alias without leaking
its password; management/commands/ holds routes, migrate_all, references, create_databases and
wait_for_databases.
"""
