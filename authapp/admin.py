from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from routers.admin import ClearReferencesAdminMixin

from .models import SharedUser


@admin.register(SharedUser)
class SharedUserAdmin(ClearReferencesAdminMixin, UserAdmin):
    """Django's user admin for the shared user; it lives on default, so no `using`."""
