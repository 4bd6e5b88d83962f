from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from guardian.admin import GuardedModelAdmin

from routers.admin import ClearReferencesAdminMixin

from .models import Customer, Team


@admin.register(Customer)
class CustomerAdmin(ClearReferencesAdminMixin, UserAdmin):
    pass


@admin.register(Team)
class TeamAdmin(GuardedModelAdmin):
    pass
