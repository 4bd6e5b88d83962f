from django.contrib import admin

from routers.admin_base import AddedByAdminMixin, MultiDBModelAdmin, MultiDBTabularInline

from .models import Director, Film


class App1ModelAdmin(MultiDBModelAdmin):
    """Admin for models stored in MySQL."""

    using = "app1"


class App1TabularInline(MultiDBTabularInline):
    """Inline for models stored in MySQL."""

    using = "app1"


class FilmInline(App1TabularInline):
    model = Film
    fields = ("title", "year", "runtime_minutes")
    extra = 1


@admin.register(Director)
class DirectorAdmin(App1ModelAdmin):
    list_display = ("name", "birth_year")
    search_fields = ("name",)
    inlines = [FilmInline]

    def save_formset(self, request, form, formset, change):
        """Record the signed-in user as the one who added films created inline."""
        for film in formset.save(commit=False):
            if film._state.adding:
                film.added_by = request.user
            film.save(using=self.using)
        for film in formset.deleted_objects:
            film.delete(using=self.using)
        formset.save_m2m()


@admin.register(Film)
class FilmAdmin(AddedByAdminMixin, App1ModelAdmin):
    list_display = ("title", "year", "director", "added_by")
    # No director filter: it would list every director on every changelist page.
    list_filter = ("year", "added_by")
    # Only director: the user is in SQLite, and select_related cannot join across databases.
    list_select_related = ("director",)
    search_fields = ("title", "director__name")
    autocomplete_fields = ("director", "added_by")
