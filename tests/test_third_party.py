"""routers/ copied alone into a project with django-taggit, simple-history, guardian and reversion (tests/third_party/).

The project runs in its own processes, on this environment's Django (5.2 LTS, or 6.x when the suite
runs on it), against throwaway databases on the test servers: users on SQLite, a catalog on MySQL,
orders on PostgreSQL. The kit's own deprecation warnings are errors there too.
"""

import json
import re
import shutil
import socket

import django
import pytest
from django.db import connections

from tests.support.databases import drop_database, throwaway_name
from tests.support.processes import BASE_DIR, clean_environ, python

PROJECT = BASE_DIR / "tests" / "third_party"
# -W takes exact module names: the kit's modules, and only them (a third-party app's warnings are its own).
KIT_MODULES = sorted(
    ".".join(path.relative_to(BASE_DIR).with_suffix("").parts).removesuffix(".__init__")
    for path in (BASE_DIR / "routers").rglob("*.py")
)
WARNINGS = ",".join(
    f"error::{category}:{module}"
    for module in KIT_MODULES
    for category in ("DeprecationWarning", "PendingDeprecationWarning")
)


def closed_port():
    """A port on 127.0.0.1 that nothing listens on: a server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server(alias, name, **changes):
    """The test server's settings for alias, with database `name` (and changes, e.g. a PORT nobody answers on)."""
    settings = connections.settings[alias]
    keys = ("ENGINE", "HOST", "PORT", "USER", "PASSWORD", "OPTIONS")
    return {**{key: settings[key] for key in keys}, "NAME": name, **changes}


class Store:
    """A copy of tests/third_party/ and routers/ in a directory of its own; runs its manage.py."""

    def __init__(self, root, databases, settings="store.settings"):
        shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(BASE_DIR / "routers", root / "routers", ignore=shutil.ignore_patterns("__pycache__"))
        self.root = root
        self.env = clean_environ(
            DJANGO_SETTINGS_MODULE=settings, STORE_DATABASES=json.dumps(databases), PYTHONWARNINGS=WARNINGS
        )

    def make_migrations(self):
        """Write the migrations a project ships (generating them is not what is tested: no checks)."""
        self.ok("makemigrations", "accounts", "catalog", "orders", "--skip-checks", "-v0")

    def run(self, *args, timeout=120):
        """Run manage.py; return the CompletedProcess."""
        return python("manage.py", *args, env=self.env, cwd=self.root, timeout=timeout)

    def ok(self, *args):
        """Run manage.py and return its stdout; fail with its stderr unless it succeeded."""
        result = self.run(*args)
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def flow(self, name):
        """Run one of store/flows.py's flows; return what it printed."""
        code = f"from store.flows import run; run({name!r})"
        return json.loads(self.ok("shell", "--no-imports", "-c", code).strip().splitlines()[-1])


@pytest.fixture(scope="module")
def names(django_db_blocker):
    """Throwaway catalog (MySQL) and orders (PostgreSQL) database names, dropped afterwards."""
    chosen = {"catalog": throwaway_name("app1", "store"), "orders": throwaway_name("app2", "store")}
    yield chosen
    with django_db_blocker.unblock():
        drop_database("app1", chosen["catalog"])
        drop_database("app2", chosen["orders"])


@pytest.fixture(scope="module")
def store(tmp_path_factory, names, django_db_blocker):
    """The store, its databases created and migrated by the kit's commands."""
    with django_db_blocker.unblock():
        drop_database("app1", names["catalog"])
        drop_database("app2", names["orders"])
    project = Store(
        tmp_path_factory.mktemp("store") / "store",
        {"catalog": server("app1", names["catalog"]), "orders": server("app2", names["orders"])},
    )
    project.make_migrations()
    project.ok("create_databases")
    project.ok("migrate_all", "--noinput", "-v0")
    return project


def reported(output):
    """{(object, check id)} from `manage.py check` output lines like "app.Model.field: (routers.E009) ..."."""
    return set(re.findall(r"^(\S+?): \((\w+\.[EW]\d+)\)", output, flags=re.MULTILINE))


# Routing -----------------------------------------------------------------------------------------


def test_the_store_passes_every_check_on_every_database(store):
    output = store.ok("check", "--database", "default", "--database", "catalog", "--database", "orders")
    assert "System check identified no issues" in output


def test_each_app_lands_where_it_is_routed(store):
    routes = {row["model"]: row["write"] for row in json.loads(store.ok("routes", "--format", "json"))}
    assert routes["catalog.Supplier"] == "default"  # a proxy of the user model: its rows are users
    assert {routes[model] for model in ("catalog.Product", "catalog.TaggedProduct", "catalog.HistoricalProduct")} == {
        "catalog"
    }
    assert routes["orders.Order"] == "orders"
    models_on_default = ("guardian.UserObjectPermission", "reversion.Version", "taggit.TaggedItem", "accounts.Team")
    assert {routes[model] for model in models_on_default} == {"default"}


def test_the_checks_name_every_wrong_routing(tmp_path, names):
    """One model per kind of mistake (store/settings_misrouted.py); nothing touches a database."""
    databases = {"catalog": server("app1", names["catalog"]), "orders": server("app2", names["orders"])}
    project = Store(tmp_path / "store", databases, settings="store.settings_misrouted")
    result = project.run("check")
    assert result.returncode == 1
    found = reported(result.stderr)
    expected = {
        ("misrouted.Review.author", "routers.E008"),  # a foreign key into another database, with a constraint
        ("misrouted.Review.author", "routers.E009"),  # ... that cascades
        ("misrouted.Wishlist.customers", "routers.E010"),  # a many-to-many across databases
        ("misrouted.Note.tags", "routers.E010"),  # plain taggit: its generic tag table is on default
        ("misrouted.Bookmark.content_type", "routers.E007"),  # content types are not the user model
        ("misrouted.Bookmark.content_object", "routers.E013"),  # a generic foreign key off the content types
        ("misrouted.Poster.permissions", "routers.E014"),  # a generic relation to guardian's permissions
        ("misrouted.HistoricalCoupon.history_user", "routers.E009"),  # simple_history's SET_NULL
        ("misrouted.Moderator", "routers.E012"),  # a proxy routed by its own app label
        ("misrouted.Moderator", "routers.E004"),
        ("misrouted.Moderator", "routers.E005"),
    }
    assert expected - found == set(), result.stderr
    assert {check for _, check in found} <= {check for _, check in expected} | {"routers.E008"}, result.stderr
    assert "history_user_id_field" in result.stderr  # E009's way out for a field an app declares


# Each app's own flow, where it can work ---------------------------------------------------------


def test_taggit_with_the_apps_own_tag_tables(store):
    assert store.flow("taggit") == {
        "tags": ["blue", "red"],
        "tagged red": ["lamp"],
        "databases": ["catalog", "catalog"],
    }


def test_simple_history_keeps_the_user_by_id(store):
    assert store.flow("simple_history") == {
        "records": 2,
        "history_user_ids": [True],
        "history_user": "historian",
        "database": "catalog",
    }


def test_guardian_object_permissions_on_an_object_beside_the_content_types(store):
    assert store.flow("guardian") == {"has_perm": True, "objects": ["ops"]}


def test_reversion_keeps_versions_of_rows_in_another_database(store):
    assert store.flow("django_reversion") == {
        "versions": 2,
        "stored for": ["orders"],
        "reference": "A-1",
        "revision user": "archivist",
    }


def test_a_proxy_of_the_user_model_reads_the_users(store):
    assert store.flow("proxy") == {"database": "default", "found": True, "runs on": ["default"]}


# Deleting a user, and the references the kit cannot see ---------------------------------------------


def test_deleting_a_user_clears_the_references_and_leaves_the_history_alone(store):
    seen = store.flow("delete_user")
    assert (seen["product.created_by"], seen["order.placed_by"]) == (None, None)
    assert seen["history"] == [[seen["user id"], seen["user id"]]]  # created_by and history_user_id, as they were
    output = store.ok("references")  # history dangles by design: not a failure
    assert re.search(
        r"^catalog\.HistoricalProduct\.history_user_id -> accounts\.Customer: \d+ rows \(\d+ ids\) "
        r"point at no row \(history: kept\)",
        output,
        flags=re.MULTILINE,
    ), output


def test_a_child_or_parent_row_deleted_clears_the_references_to_either(store):
    assert store.flow("inheritance") == {"child": [None, None], "parent": [None, None]}


def test_each_reference_is_listed_once(store):
    """A proxy (catalog.FeaturedProduct) and a child model share their fields with the concrete model."""
    output = store.ok("references")
    lines = [line.split(":")[0] for line in output.splitlines() if " -> " in line]
    assert sorted(lines) == [
        "catalog.HistoricalProduct.created_by -> accounts.Customer",
        "catalog.HistoricalProduct.history_user_id -> accounts.Customer",
        "catalog.Product.created_by -> accounts.Customer",
        "orders.Order.approver_id -> accounts.Staff",
        "orders.Order.placed_by -> accounts.Customer",
    ]


def test_history_keeps_its_ids_from_being_handed_out_again(tmp_path, names):
    """After a flush of default, the next user would inherit the history of every old one."""
    databases = {"catalog": server("app1", names["catalog"]), "orders": server("app2", names["orders"])}
    project = Store(tmp_path / "store", databases)
    project.make_migrations()
    project.ok("migrate", "--database", "default", "-v0")  # a fresh users file; the catalog keeps its history
    result = project.run("references")
    assert result.returncode == 1
    # guardian's anonymous user took id 1; the history still names the old users.
    assert re.search(
        r"accounts\.Customer on 'default' \(SQLite\): the next new row gets id \d+, which is still "
        r"referenced",
        result.stdout,
    ), result.stdout
    project.ok("references", "--fix")
    seen = project.flow("proxy")  # a new user
    assert seen["found"]
    output = project.ok("references")
    assert "still referenced" not in output


def test_the_admin_answers_every_page(store):
    seen = store.flow("admin_pages")
    assert seen["added"] == {"product": 302, "order": 302}
    assert seen["stool"] == [["green", "red"], True]  # tags on MySQL; history user from the request
    assert seen["created_by initial"]  # AddedByAdminMixin with added_by_field = "created_by"
    assert seen["order versions"] == 1
    assert {url: status for url, status in seen["pages"].items() if status != 200} == {}
    assert len(seen["pages"]) >= 30


# The bootstrap commands with the catalog's database missing, then its server down ------------------


def test_the_bootstrap_commands_with_a_database_missing_then_down(tmp_path, names, django_db_blocker):
    missing = throwaway_name("app1", "missing")
    with django_db_blocker.unblock():
        drop_database("app1", missing)
    try:
        databases = {"catalog": server("app1", missing), "orders": server("app2", names["orders"])}
        project = Store(tmp_path / "store", databases)
        project.make_migrations()
        outcome = {"missing": bootstrap(project)}
        down = {**databases, "catalog": server("app1", missing, HOST="127.0.0.1", PORT=str(closed_port()))}
        project.env["STORE_DATABASES"] = json.dumps(down)
        outcome["down"] = bootstrap(project)
    finally:
        with django_db_blocker.unblock():
            drop_database("app1", missing)

    for state, commands in outcome.items():
        for command, (_, _, err) in commands.items():
            assert "Traceback" not in err, f"{state}: {command}:\n{err}"
    missing, down = outcome["missing"], outcome["down"]
    assert missing["check"][0] == 0
    assert missing["migrate_all --check"][0] == 1
    assert "'catalog' (MySQL at" in missing["migrate_all --check"][1]  # "cannot tell": unknown database
    assert missing["create_databases"][0] == 0
    assert f"database '{missing_name(databases)}' created" in missing["create_databases"][1]
    assert missing["migrate_all"][0] == 0
    assert missing["check (after)"][0] == 0
    assert missing["migrate_all --check (after)"][0] == 0

    assert down["create_databases"][0] == 1
    assert "Database 'catalog' (MySQL at 127.0.0.1:" in down["create_databases"][2]
    assert "is unreachable" in down["create_databases"][2]
    assert down["wait_for_databases"][0] == 1
    assert "did not answer in time" in down["wait_for_databases"][2]
    assert down["migrate_all"][0] == 1
    assert "Migrating 'catalog' (MySQL at 127.0.0.1:" in down["migrate_all"][2]
    assert down["check"][0] == 0  # the other checks pass
    if django.VERSION >= (6,):  # which runs the database checks on every alias: the one it cannot ask is named
        assert "Database 'catalog' (MySQL at 127.0.0.1:" in down["check"][2]
        assert "Its database checks were skipped" in down["check"][2]
        assert f"Unknown database '{missing_name(databases)}'" in missing["check"][2]
    assert down["migrate_all --check"][0] == 1
    assert "cannot tell" in down["migrate_all --check"][1]
    assert down["check --database catalog"][0] == 1  # asked for by name: a failure, naming it
    assert "Database 'catalog' (MySQL at 127.0.0.1:" in down["check --database catalog"][2]
    assert down["references"][0] == 1
    assert "reading 'catalog' (MySQL at 127.0.0.1:" in down["references"][2]


def missing_name(databases):
    return databases["catalog"]["NAME"]


def bootstrap(project):
    """Run the bootstrap commands in a newcomer's order; return {command: (exit code, stdout, stderr)}."""
    steps = [
        ("check", ["check"]),
        ("migrate_all --check", ["migrate_all", "--check"]),
        ("wait_for_databases", ["wait_for_databases", "--timeout", "2", "--interval", "0.5"]),
        ("create_databases", ["create_databases"]),
        ("migrate_all", ["migrate_all", "--noinput", "-v0"]),
        ("check (after)", ["check"]),
        ("migrate_all --check (after)", ["migrate_all", "--check"]),
        ("references", ["references"]),
        ("check --database catalog", ["check", "--database", "catalog"]),
    ]
    outcome = {}
    for name, args in steps:
        result = project.run(*args)
        outcome[name] = (result.returncode, result.stdout, result.stderr)
    return outcome
