"""ModelAdmin and inline bases for models that live outside the default database.

Django's MultiDBModelAdmin recipe (docs/topics/db/multi-db.txt) with two fixes:
a foreign key or many-to-many widget reads the *related* model's database (the
shared user lives in SQLite even when the film lives in MySQL), and bulk
deletion from the changelist is pinned to `using` like single deletion is.
"""

import dataclasses

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.db import router
from django.http import HttpResponseRedirect

from .connectivity import describe
from .references import ReferencesNotCleared, clear_references, count_references


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
    """Show and default a foreign key to the user model in another database (`added_by` unless told)."""

    added_by_field = "added_by"  # the ForeignKey to AUTH_USER_MODEL, e.g. "created_by"

    def get_queryset(self, request):
        """Fetch the page's users in one query on their own database (select_related cannot)."""
        return super().get_queryset(request).prefetch_related(self.added_by_field)

    def get_changeform_initial_data(self, request):
        """Suggest the signed-in user as the one adding the object."""
        return {self.added_by_field: request.user.pk, **super().get_changeform_initial_data(request)}


class ClearReferencesAdminMixin:
    """Delete rows that other databases reference: say what loses its reference, clear it before locking.

    The model's own delete() clears references too (routers.references), but the admin's delete
    view runs it inside transaction.atomic() on the model's database, which on SQLite holds the
    write lock for the whole view: the clearing happens here, before that transaction begins.
    For models with routers.references.ClearReferencesMixin.
    """

    def get_deleted_objects(self, objs, request):
        """On the confirmation page, say per database how many rows will lose their reference."""
        deleted = super().get_deleted_objects(objs, request)
        deleting = request.POST.get("post") if "action" in request.POST else request.POST  # bulk, or single
        if not deleting:  # the confirmation page, not the deletion
            pks = [obj.pk for obj in objs]
            for reference, alias, rows in count_references(self.model, pks):
                opts = reference.model._meta
                noun = opts.verbose_name if rows == 1 else opts.verbose_name_plural
                database = describe(alias, where=False)
                message = f'{rows} {noun} on {database} will have "{reference.field.verbose_name}" set to empty.'
                self.message_user(request, message, messages.WARNING)
        return deleted

    def delete_view(self, request, object_id, extra_context=None):
        """Clear the object's references, then let Django's view delete it inside its transaction."""
        if request.method == "POST" and request.POST:  # Django's own test: any non-empty POST deletes
            obj = self.get_object(request, unquote(object_id))
            allowed = obj is not None and self.has_delete_permission(request, obj)
            if allowed and self.failed_to_clear(request, [obj]):
                return HttpResponseRedirect(request.get_full_path())
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        """Delete the object; delete_view cleared its references outside the transaction."""
        obj.delete(references_cleared=True)

    def get_actions(self, request, action_location=None):
        """Make the bulk delete action clear references before it logs or deletes anything."""
        # Django 6 passes where the actions are shown (and wants the parameter); 5.2 passes nothing.
        where = {} if action_location is None else {"action_location": action_location}
        actions = super().get_actions(request, **where)
        action = actions.get("delete_selected")
        if isinstance(action, tuple):  # Django 5.2: (function, name, description)
            actions["delete_selected"] = (clear_then_delete_selected, *action[1:])
        elif action is not None:  # Django 6: an Action dataclass; unpacking it is deprecated
            actions["delete_selected"] = dataclasses.replace(action, func=clear_then_delete_selected)
        return actions

    def failed_to_clear(self, request, objs):
        """Clear the references to objs if Django will delete them; on failure, say why and return True."""
        _, _, perms_needed, protected = self.get_deleted_objects(objs, request)
        if perms_needed or protected:
            return False  # Django refuses the deletion itself: nothing to clear
        try:
            clear_references(self.model, [obj.pk for obj in objs])
        except ReferencesNotCleared as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return True
        return False


def clear_then_delete_selected(modeladmin, request, queryset):
    """Django's delete_selected action, after the selection's references are cleared."""
    if request.POST.get("post") and modeladmin.failed_to_clear(request, list(queryset)):
        return None  # back to the changelist, which shows the error
    return delete_selected(modeladmin, request, queryset)
