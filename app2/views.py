from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import CharField, Func, OuterRef, Value
from django.shortcuts import get_object_or_404, render

from pages.pagination import paginate

from .models import Author, Book


def author_names():
    """Return each book's author names in Author's ordering, joined by PostgreSQL: "A, B", or "" for none."""
    names = ArraySubquery(Author.objects.filter(books=OuterRef("pk")).values("name"))
    return Func(names, Value(", "), function="array_to_string", output_field=CharField())


def book_list(request):
    """List books with their authors' names: one query on app2, whatever the page."""
    books = Book.objects.all()
    page = paginate(books, request.GET.get("page"), "pk", "title", "published", author_names=author_names())
    return render(request, "app2/book_list.html", {"page": page})


def book_detail(request, pk):
    """Show one book: book and authors from app2, the user who added it from default."""
    book = get_object_or_404(Book.objects.annotate(author_names=author_names()), pk=pk)
    return render(request, "app2/book_detail.html", {"book": book})
