"""What tests/test_third_party.py runs inside the store: each flow returns what it saw (printed as JSON)."""

import json
import sys

import reversion
from accounts.models import Customer, Staff, Team
from catalog.models import CatalogTag, Product, Supplier
from django.contrib import admin
from django.db import connections, router
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse
from guardian.shortcuts import assign_perm, get_objects_for_user
from orders.models import Order
from reversion.models import Version


def customer(name):
    return Customer.objects.create_user(name, password="pw")


def product_by(user, name):
    """A product saved twice by user, as the admin's HistoryRequestMiddleware would record it."""
    product = Product(name=name, created_by=user)
    product._history_user = user
    product.save()
    product.name = f"{name} (revised)"
    product._history_user = user
    product.save()
    return product


def taggit():
    product = Product.objects.create(name="lamp", created_by=customer("tagger"))
    product.tags.add("red", "blue")
    return {
        "tags": sorted(product.tags.names()),
        "tagged red": list(Product.objects.filter(tags__name="red").values_list("name", flat=True)),
        "databases": [product._state.db, CatalogTag.objects.db],
    }


def simple_history():
    user = customer("historian")
    records = product_by(user, "chair").history.all()
    return {
        "records": len(records),
        "history_user_ids": sorted({record.history_user_id == user.pk for record in records}),
        "history_user": records[0].history_user.username,
        "database": records.db,
    }


def guardian():
    user, team = customer("guard"), Team.objects.create(name="ops")
    assign_perm("change_team", user, team)
    user = Customer.objects.get(pk=user.pk)  # a fresh permission cache
    return {
        "has_perm": user.has_perm("accounts.change_team", team),
        "objects": [team.name for team in get_objects_for_user(user, "accounts.change_team")],
    }


def django_reversion():
    user = customer("archivist")
    with reversion.create_revision():
        order = Order.objects.create(reference="A-1", placed_by=user)
        reversion.set_user(user)
    with reversion.create_revision():
        order.reference = "A-2"
        order.save()
    versions = Version.objects.get_for_object(order)
    versions.last().revert()  # the oldest: back to A-1
    order.refresh_from_db()
    return {
        "versions": len(versions),
        "stored for": sorted({version.db for version in versions}),
        "reference": order.reference,
        "revision user": versions.last().revision.user.username,
    }


def proxy():
    user = customer("maker")
    # RunPython(hints={"model_name": "supplier"}) in the catalog's migrations: where may it run?
    runs_on = [alias for alias in connections if router.allow_migrate(alias, "catalog", model_name="supplier")]
    return {"database": Supplier.objects.db, "found": Supplier.objects.filter(pk=user.pk).exists(), "runs on": runs_on}


def delete_user():
    user = customer("leaver")
    product = product_by(user, "desk")
    order = Order.objects.create(reference="B-1", placed_by=user)
    user_id = user.pk
    user.delete()
    product.refresh_from_db()
    order.refresh_from_db()
    history = product.history.values_list("created_by_id", "history_user_id")
    return {
        "user id": user_id,
        "product.created_by": product.created_by_id,
        "order.placed_by": order.placed_by_id,
        "history": sorted(set(history)),
    }


def inheritance():
    """Deleting a child row deletes its parent's, and the reverse: references to either are cleared."""
    seen = {}
    for deleted in ("child", "parent"):
        staff = Staff.objects.create_user(f"clerk-{deleted}", password="pw")
        product = Product.objects.create(name="till", created_by=staff)
        order = Order.objects.create(reference="D-1", approver_id=staff.pk)
        (staff if deleted == "child" else Customer.objects.get(pk=staff.pk)).delete()
        product.refresh_from_db()
        order.refresh_from_db()
        seen[deleted] = [product.created_by_id, order.approver_id]
    return seen


def admin_pages():
    """GET every page of every registered admin, for one object each; POST an add form through two of them."""
    setup_test_environment()  # responses carry their template context
    root = Customer.objects.create_superuser("root", password="pw")
    guard = customer("guarded")
    team = Team.objects.create(name="night shift")
    assign_perm("change_team", guard, team)  # the user's delete confirmation lists the permission
    client = Client()
    client.force_login(root)
    added = {
        "product": client.post(reverse("admin:catalog_product_add"), {"name": "stool", "tags": "red, green"}),
        "order": client.post(reverse("admin:orders_order_add"), {"reference": "C-1", "placed_by": root.pk}),
    }
    stool = Product.objects.get(name="stool")
    initial = client.get(reverse("admin:catalog_product_add")).context["adminform"].form.initial
    pages = {}
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls = [reverse(f"{info}_changelist"), reverse(f"{info}_add")]
        obj = model._default_manager.order_by("pk").last()
        if obj is not None:
            urls += [reverse(f"{info}_{view}", args=[obj.pk]) for view in ("change", "delete", "history")]
        pages.update({url: client.get(url).status_code for url in urls})
    order = Order.objects.get(reference="C-1")
    extra = [
        reverse("admin:accounts_customer_delete", args=[guard.pk]),
        reverse("admin:accounts_team_permissions", args=[team.pk]),
        reverse("admin:catalog_product_simple_history", args=[stool.pk, stool.history.last().history_id]),
        reverse("admin:orders_order_recoverlist"),
        reverse("admin:orders_order_revision", args=[order.pk, Version.objects.get_for_object(order).last().pk]),
    ]
    pages.update({url: client.get(url).status_code for url in extra})
    return {
        "added": {name: response.status_code for name, response in added.items()},
        "stool": [sorted(stool.tags.names()), stool.history.last().history_user_id == root.pk],
        "created_by initial": initial.get("created_by") == root.pk,
        "order versions": Version.objects.get_for_object(order).count(),
        "pages": pages,
    }


def run(name):
    """Print the named flow's result as JSON on the last line."""
    sys.stdout.write(json.dumps(globals()[name]()) + "\n")
