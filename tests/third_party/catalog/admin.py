from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from routers.admin import AddedByAdminMixin, MultiDBModelAdmin

from .models import CatalogTag, Product, Supplier


class CatalogAdmin(MultiDBModelAdmin):
    using = "catalog"


@admin.register(Product)
class ProductAdmin(AddedByAdminMixin, SimpleHistoryAdmin, CatalogAdmin):
    added_by_field = "created_by"
    list_display = ["name", "created_by"]
    list_select_related = []  # the default would join created_by: a table in another database

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        """The history, without simple_history's join into the user table (in another database)."""
        return super().get_history_queryset(request, history_manager, pk_name, object_id).select_related(None)


@admin.register(CatalogTag)
class CatalogTagAdmin(CatalogAdmin):
    pass


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["username", "email"]
