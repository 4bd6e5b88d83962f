"""Page through a large table without counting it."""

from dataclasses import dataclass

from django.http import Http404

PER_PAGE = 25
# Deep OFFSETs scan every skipped row; past this, use search or the admin.
MAX_PAGE = 400


@dataclass(frozen=True)
class Page:
    """One page of rows, and whether the neighbouring pages exist."""

    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self):
        return self.number > 1


def paginate(queryset, page_param, per_page=PER_PAGE):
    """Return the requested page, fetching one extra row instead of a COUNT(*)."""
    try:
        number = int(page_param or 1)
    except (TypeError, ValueError):
        raise Http404("Page number must be a whole number.") from None
    if not 1 <= number <= MAX_PAGE:
        raise Http404(f"Page number must be between 1 and {MAX_PAGE}.")
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    if not rows and number > 1:
        raise Http404("That page is past the last one.")
    return Page(rows=rows[:per_page], number=number, has_next=len(rows) > per_page)
