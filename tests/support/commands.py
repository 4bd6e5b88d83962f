"""Run a management command in this process and read what it printed, or how it failed."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def command_output(*args, **options):
    """Run call_command(*args, **options); return its stdout."""
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def command_failure(*args, match=None):
    """Run a command that must raise CommandError (matching `match`); return (its message, what it printed)."""
    out = StringIO()
    with pytest.raises(CommandError, match=match) as failure:
        call_command(*args, stdout=out)
    return str(failure.value), out.getvalue()
