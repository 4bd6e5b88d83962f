from django.contrib import admin
from reversion.admin import VersionAdmin

from routers.admin import AddedByAdminMixin, MultiDBModelAdmin

from .models import Order


@admin.register(Order)
class OrderAdmin(AddedByAdminMixin, VersionAdmin, MultiDBModelAdmin):
    using = "orders"
    added_by_field = "placed_by"
    list_display = ["reference", "placed_by"]
    list_select_related = []
