"""ModelAdmin and inline bases for models that live outside the default database.

Django's MultiDBModelAdmin recipe (docs/topics/db/multi-db.txt) with two fixes:
a foreign key or many-to-many widget reads the *related* model's database (the
shared user lives in SQLite even when the film lives in MySQL), and bulk
deletion from the changelist is pinned to `using` like single deletion is.
"""

from django.contrib import admin
from django.db import router


class MultiDBMixin:
    """Read this admin's objects from `using`; read related choices where they live."""

    using = None  # set by each per-database subclass; must agree with the router

    def get_queryset(self, request):
        """Look objects up on `using`."""
        return super().get_queryset(request).using(self.using)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """List foreign key choices (and autocomplete labels) from the related model's database."""
        kwargs.setdefault("using", router.db_for_read(db_field.related_model) or self.using)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        """List many-to-many choices from the related model's database."""
        kwargs.setdefault("using", router.db_for_read(db_field.related_model) or self.using)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class MultiDBModelAdmin(MultiDBMixin, admin.ModelAdmin):
    """A ModelAdmin whose model is saved to and deleted from `using`."""

    def save_model(self, request, obj, form, change):
        """Save the object to `using`."""
        obj.save(using=self.using)

    def delete_model(self, request, obj):
        """Delete the object from `using`."""
        obj.delete(using=self.using)

    def delete_queryset(self, request, queryset):
        """Delete the changelist selection from `using`."""
        queryset.using(self.using).delete()


class MultiDBTabularInline(MultiDBMixin, admin.TabularInline):
    """A tabular inline whose rows live on `using`."""


class AddedByAdminMixin:
    """Show and default `added_by`, a foreign key to the shared user in another database."""

    def get_queryset(self, request):
        """Fetch the page's users in one query on their own database (select_related cannot)."""
        return super().get_queryset(request).prefetch_related("added_by")

    def get_changeform_initial_data(self, request):
        """Suggest the signed-in user as the one adding the object."""
        return {"added_by": request.user.pk, **super().get_changeform_initial_data(request)}
