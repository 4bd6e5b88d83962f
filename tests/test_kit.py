"""routers/ is a kit: copied alone into another project, it routes, checks, migrates and clears references there."""

import ast
import json
import re
import shutil
import sqlite3
import textwrap

import pytest

from tests.support.processes import BASE_DIR, clean_environ, python

KIT = BASE_DIR / "routers"
# Every top-level package of this project except the kit itself.
PROJECT_PACKAGES = {"config", "authapp", "app1", "app2", "pages", "health", "demo", "tests"}

# A shop that keeps its orders in a database of their own and its customers (the user model) in default.
SHOP = {
    "manage.py": """
        import sys

        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    """,
    "shop/__init__.py": "",
    "shop/settings.py": """
        SECRET_KEY = "kit-test-only"
        USE_TZ = True
        DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
        INSTALLED_APPS = [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "routers",
            "accounts",
            "shop",
        ]
        AUTH_USER_MODEL = "accounts.Customer"
        DATABASES = {
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "users.sqlite3"},
            "orders": {"ENGINE": "django.db.backends.sqlite3", "NAME": "orders.sqlite3"},
        }
        DATABASE_ROUTING = {"admin": "default", "auth": "default", "contenttypes": "default",
                            "sessions": "default", "accounts": "default", "shop": "orders"}
        DATABASE_ROUTERS = ["routers.router.AppLabelRouter"]
        MIDDLEWARE = [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "routers.middleware.ReadReplicaMiddleware",
        ]
        TEMPLATES = [{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]},
        }]
    """,
    "accounts/__init__.py": "",
    "accounts/models.py": """
        from django.contrib.auth.models import AbstractUser, UserManager

        from routers.references import ClearReferencesMixin, ClearReferencesQuerySet, RoutedNaturalKeyMixin


        class CustomerManager(RoutedNaturalKeyMixin, UserManager.from_queryset(ClearReferencesQuerySet)):
            pass


        class Customer(ClearReferencesMixin, AbstractUser):
            objects = CustomerManager()
    """,
    "shop/models.py": """
        from django.conf import settings
        from django.db import models


        class Order(models.Model):
            placed_by = models.ForeignKey(
                settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True,
                related_name="+",
            )
    """,
    "shop/admin.py": """
        from django.contrib import admin

        from routers.admin import MultiDBModelAdmin

        from .models import Order


        @admin.register(Order)
        class OrderAdmin(MultiDBModelAdmin):
            using = "orders"
    """,
}
DELETE_A_CUSTOMER = """
import routers
from accounts.models import Customer
from shop.models import Order

user = Customer.objects.create(username="customer")
order = Order.objects.create(placed_by=user)
user.delete()
order.refresh_from_db()
print(routers.__file__, order._state.db, order.placed_by_id)
"""


def imported_packages(path):
    """Return the top-level packages a module imports absolutely."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_shop_follows_the_readmes_steps_for_reusing_the_kit():
    """Every name the README's numbered steps give is in the shop's settings or models."""
    readme = (BASE_DIR / "README.md").read_text()
    steps = readme[readme.index("To reuse the kit") : readme.index("## Documentation")]
    # Names of things to put in a project; not the check the steps run, the warning they name, or
    # the optional setting they mention (replicas).
    named = set(re.findall(r"`\"?([\w.]+)\"?`", steps)) - {"manage.py", "check", "routers.W002", "DATABASE_REPLICAS"}
    shop = SHOP["shop/settings.py"] + SHOP["accounts/models.py"]
    assert named, steps
    assert {name for name in named if name.split(".")[-1] not in shop} == set()
    assert shop.index("routers.middleware.ReadReplicaMiddleware") > shop.index("MessageMiddleware")  # last


def test_the_kit_imports_no_other_package_of_this_project():
    offenders = {
        str(path.relative_to(BASE_DIR)): sorted(imported_packages(path) & PROJECT_PACKAGES)
        for path in KIT.rglob("*.py")
    }
    assert {path: packages for path, packages in offenders.items() if packages} == {}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A new project holding a copy of routers/ and nothing else of ours; return a manage.py runner."""
    root = tmp_path_factory.mktemp("shop")
    shutil.copytree(KIT, root / "routers", ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in SHOP.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip())
    env = clean_environ(DJANGO_SETTINGS_MODULE="shop.settings")

    def manage(*args):
        result = python("manage.py", *args, env=env, cwd=root)
        assert result.returncode == 0, result.stderr
        return result.stdout

    manage("makemigrations", "accounts", "shop", "-v0")
    manage("migrate_all", "--noinput", "-v0")
    manage.root = root
    return manage


def test_the_copied_kit_passes_its_checks_and_routes_the_shop(shop):
    assert "System check identified no issues" in shop("check")
    order = next(row for row in json.loads(shop("routes", "--format", "json")) if row["model"] == "shop.Order")
    assert (order["read"], order["write"], order["migrate"]) == ("orders", "orders", ["orders"])


def test_migrate_all_creates_each_table_on_its_own_database_only(shop):
    def tables(name):
        with sqlite3.connect(shop.root / name) as connection:
            return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    assert "shop_order" in tables("orders.sqlite3")
    assert "accounts_customer" not in tables("orders.sqlite3")
    assert "accounts_customer" in tables("users.sqlite3")
    assert "shop_order" not in tables("users.sqlite3")
    assert shop("migrate_all", "--check").count("up to date") == 2


def test_deleting_a_user_clears_the_reference_in_the_other_database(shop):
    kit_file, database, placed_by = shop("shell", "--no-imports", "-c", DELETE_A_CUSTOMER).split()
    assert kit_file == str(shop.root / "routers" / "__init__.py")  # the copy, not this project's routers/
    assert (database, placed_by) == ("orders", "None")
