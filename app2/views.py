from django.shortcuts import get_object_or_404, render

from pages.pagination import paginate

from .models import Book


def book_list(request):
    """List books with their authors: two queries on app2, whatever the page."""
    books = Book.objects.only("title", "published").prefetch_related("authors")
    page = paginate(books, request.GET.get("page"))
    return render(request, "app2/book_list.html", {"page": page})


def book_detail(request, pk):
    """Show one book: book and authors from app2, the user who added it from default."""
    book = get_object_or_404(Book.objects.prefetch_related("authors"), pk=pk)
    return render(request, "app2/book_detail.html", {"book": book})
