from django.contrib import admin

from pages.pagination import EstimatedCountPaginator
from routers.admin import AddedByAdminMixin, MultiDBModelAdmin

from .models import Author, Book


class App2ModelAdmin(MultiDBModelAdmin):
    """Admin for models stored in PostgreSQL."""

    using = "app2"


@admin.register(Author)
class AuthorAdmin(App2ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Book)
class BookAdmin(AddedByAdminMixin, App2ModelAdmin):
    list_display = ("title", "isbn", "published", "added_by")
    list_filter = ("published", "added_by")
    list_select_related = ()  # nothing to join: authors are many-to-many, the user is in SQLite
    search_fields = ("title", "isbn", "authors__name")
    autocomplete_fields = ("authors", "added_by")
    # The unfiltered count from the server's statistics, no second count of the whole table, rows by key.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
