"""Refuse query strings that carry NUL characters, which PostgreSQL cannot take in any text value."""

from django.http import HttpResponseBadRequest

NULL_IN_QUERY = "Null characters are not allowed in the query string."


class RejectNullBytesMiddleware:
    """Answer 400 to a query string with a NUL, before it reaches an admin search or filter on PostgreSQL.

    Forms already refuse NUL (ProhibitNullCharactersValidator); search terms, list filters and
    autocomplete terms go straight into lookups, where psycopg raises DataError (a 500).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest(NULL_IN_QUERY)
        return self.get_response(request)
