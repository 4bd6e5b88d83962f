from django.db.models import F
from django.shortcuts import get_object_or_404, render

from pages.pagination import paginate

from .models import Film


def film_list(request):
    """List films with their directors' names: two queries on app1, whatever the page."""
    films = Film.objects.all()
    page = paginate(films, request.GET.get("page"), "pk", "title", "year", director_name=F("director__name"))
    return render(request, "app1/film_list.html", {"page": page})


def film_detail(request, pk):
    """Show one film: film and director from app1, the user who added it from default."""
    film = get_object_or_404(Film.objects.select_related("director"), pk=pk)
    return render(request, "app1/film_detail.html", {"film": film})
