"""Users move from SQLite to PostgreSQL as docs/deployment.md says, keeping the ids films and books hold."""

import json

from django.db import connections

from tests.support.databases import database_url, drop_database, recreate_database, throwaway_name
from tests.support.processes import checked, local_environ, manage

# Ids with gaps, as on a site that has deleted users: a load that renumbered them would show.
# No passwords: hashing one takes the local settings' full PBKDF2 time; the "!..." marker moves alike.
CREATE_USERS = """
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from authapp.models import SharedUser
admin = SharedUser.objects.create_superuser("admin", password=None, id=3)
ann = SharedUser.objects.create_user("ann", password=None, id=7)
LogEntry.objects.create(
    user=admin, content_type=ContentType.objects.get_for_model(ann), object_id=str(ann.pk),
    object_repr="ann", action_flag=ADDITION,
)
"""
READ_USERS = """
import json
from django.contrib.admin.models import LogEntry
from authapp.models import SharedUser
users = list(SharedUser.objects.order_by("pk").values_list("pk", "username", "password", "is_superuser"))
log = [(entry.user_id, entry.content_type.model, entry.object_id) for entry in LogEntry.objects.all()]
state = {"users": users, "log": log}
"""
ADD_USER = 'state["new user id"] = SharedUser.objects.create_user("new").pk\n'
# The commands of docs/deployment.md. Content types and permissions are not copied: migrate creates them.
DUMP = ["dumpdata", "--database=default", "--natural-foreign", "--exclude=contenttypes", "--exclude=auth.permission"]


def shell(code, env, what):
    """Run code in manage.py shell; return the `state` it builds."""
    return json.loads(
        checked(manage("shell", "--no-imports", "-c", f"{code}\nprint(json.dumps(state))", env=env), what)
    )


def test_users_move_from_sqlite_to_postgresql_with_their_ids(tmp_path, django_db_blocker):
    # A films database that exists, as on a live site: Django 6's system checks connect to every alias.
    films = throwaway_name("app1", "films")
    name = throwaway_name("app2", "users")  # a database of its own on the PostgreSQL server
    with django_db_blocker.unblock():
        recreate_database("app1", films)
        recreate_database("app2", name)
    site = {"APP1_DATABASE_URL": database_url(connections["app1"].settings_dict, films)}
    try:
        sqlite = local_environ(DATABASE_URL=f"sqlite:///{tmp_path / 'users.sqlite3'}", **site)
        checked(manage("migrate", "--database=default", env=sqlite), "migrate on SQLite")
        before = shell(CREATE_USERS + READ_USERS, sqlite, "creating users")
        dump = tmp_path / "users.json"
        checked(manage(*DUMP, f"--output={dump}", env=sqlite), "dumpdata")

        postgres = local_environ(DATABASE_URL=database_url(connections["app2"].settings_dict, name), **site)
        checked(manage("migrate", "--database=default", env=postgres), "migrate on PostgreSQL")
        checked(manage("loaddata", str(dump), "--database=default", env=postgres), "loaddata")
        after = shell(READ_USERS + ADD_USER, postgres, "reading users")
    finally:
        with django_db_blocker.unblock():
            drop_database("app2", name)
            drop_database("app1", films)

    assert [user[:2] for user in before["users"]] == [[3, "admin"], [7, "ann"]]
    assert before["log"] == [[3, "shareduser", "7"]]
    assert after.pop("new user id") == 8  # loaddata moved PostgreSQL's id sequence past the loaded ids
    assert after == before  # the same ids, password hashes and flags; the admin's history
