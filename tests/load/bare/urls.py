"""The public pages' queries with no middleware and no template: JSON out, the same paths."""

from django.db.models import F
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from app1.models import Film
from app2.models import Book
from app2.views import author_names
from pages.pagination import paginate
from pages.row_counts import row_counts
from pages.views import counted_models


def live(request):
    """No database, like the site's /health/live/: the ceiling of this server."""
    return JsonResponse({"status": "ok"})


def home(request):
    """Each counted model's rows, one statistics query per database, as pages.views.home."""
    counts = {alias: row_counts(models, using=alias) for alias, models in counted_models().items()}
    return JsonResponse({alias: [rows for rows, _ in found.values()] for alias, found in counts.items()})


def film_list(request):
    """A page of films with their directors' names, as app1.views.film_list."""
    films = Film.objects.all()
    page = paginate(films, request.GET.get("page"), "pk", "title", "year", director_name=F("director__name"))
    return JsonResponse({"films": page.rows, "next": page.has_next})


def film_detail(request, pk):
    """One film, its director and the user who added it, as app1.views.film_detail and its template."""
    film = get_object_or_404(Film.objects.select_related("director"), pk=pk)
    added_by = film.added_by and film.added_by.username
    return JsonResponse({"title": film.title, "director": film.director.name, "added_by": added_by})


def book_list(request):
    """A page of books with their authors' names, as app2.views.book_list."""
    books = Book.objects.all()
    page = paginate(books, request.GET.get("page"), "pk", "title", "published", author_names=author_names())
    return JsonResponse({"books": page.rows, "next": page.has_next})


def book_detail(request, pk):
    """One book, its authors' names and the user who added it, as app2.views.book_detail and its template."""
    book = get_object_or_404(Book.objects.annotate(author_names=author_names()), pk=pk)
    added_by = book.added_by and book.added_by.username
    return JsonResponse({"title": book.title, "authors": book.author_names, "added_by": added_by})


urlpatterns = [
    path("health/live/", live),
    path("", home),
    path("films/", film_list),
    path("films/<int:pk>/", film_detail),
    path("books/", book_list),
    path("books/<int:pk>/", book_detail),
]
