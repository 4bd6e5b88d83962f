"""JSON views that read and write registers the ways ordinary Django views do (test site only)."""

import json

from django.db import connections
from django.db.models import F
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import UpdateView

from app1.models import Director

from .middleware import aliases
from .models import Register


def answer(row, served_by=None):
    """The row and the aliases that served it, as JSON."""
    return JsonResponse({**row.as_dict(), "served_by": served_by or aliases()})


def register_list(request):
    """Every register: one query, one snapshot."""
    rows = [row.as_dict() for row in Register.objects.all()]
    return JsonResponse({"rows": rows, "served_by": aliases()})


def register_detail(request, pk):
    return answer(get_object_or_404(Register, pk=pk))


async def register_async(request, pk):
    """The same read from an async view (the ORM's async API)."""
    row = await Register.objects.aget(pk=pk)
    return answer(row, [row._state.db])


def register_stream(request, pk):
    """Read the row while the server iterates the body, after every middleware has returned."""

    def body():
        row = Register.objects.get(pk=pk)
        yield json.dumps({**row.as_dict(), "served_by": [row._state.db]})

    return StreamingHttpResponse(body(), content_type="application/json")


@method_decorator(csrf_exempt, name="dispatch")
class RegisterEdit(UpdateView):
    """A generic UpdateView: get_object() reads the row, save() writes every column back."""

    model = Register
    fields = ["value"]

    def form_valid(self, form):
        form.instance.version += 1  # the version read, plus one: a read-modify-write
        self.object = form.save()
        return answer(self.object)

    def form_invalid(self, form):
        return JsonResponse({"errors": form.errors}, status=400)


@csrf_exempt
def register_raw(request, pk):
    """Write with raw SQL on the primary's connection, then read the row back through the ORM."""
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    return raw_write(pk, "value = %s, ", [int(request.POST.get("value", 0))])


def register_touch(request, pk):
    """A GET that writes with raw SQL (a view counter, a "seen" mark), then reads the row back."""
    return raw_write(pk, "", [])


def raw_write(pk, assignments, params):
    """Add one to the row's version with raw SQL on app2's connection; answer the row as the ORM reads it next."""
    with connections["app2"].cursor() as cursor:
        cursor.execute(
            f"UPDATE consistency_register SET {assignments}version = version + 1 WHERE id = %s",  # noqa: S608
            [*params, pk],
        )
    return answer(Register.objects.get(pk=pk))


def register_bump(request, pk):
    """A GET that writes on app1 before it reads app2: running it twice would bump twice (`bumps` counts)."""
    directors = Director.objects.filter(pk=request.GET["director"])
    directors.update(birth_year=F("birth_year") + 1)
    row = Register.objects.get(pk=pk)
    return JsonResponse({**row.as_dict(), "bumps": directors.get().birth_year, "served_by": aliases()})
