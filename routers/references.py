"""Cross-database references to the shared user, kept free of dangling ids.

A Film (MySQL) or Book (PostgreSQL) records the SharedUser (SQLite) who added it
with a ForeignKey(db_constraint=False, on_delete=DO_NOTHING, null=True): Django's
deletion collector looks for related rows on the *user's* database, so any other
on_delete would query app1_film in SQLite. Nothing cascades across databases by
itself, so before a user is deleted each referencing field is cleared on its own
database. If that write fails the exception aborts the user's deletion: the user
stays, ids already cleared stay cleared, and deleting again finishes the job.
"""

from django.db import router
from django.db.models.signals import pre_delete


def clear_on_delete(field):
    """Null `field` on its model's database before the user it points at is deleted."""
    model = field.model

    def clear_references(sender, instance, **kwargs):
        alias = router.db_for_write(model)
        # One UPDATE statement: atomic on its own database, committed before the user goes.
        model._base_manager.using(alias).filter(**{field.name: instance.pk}).update(**{field.name: None})

    pre_delete.connect(
        clear_references,
        sender=field.related_model,
        weak=False,
        dispatch_uid=f"clear_on_delete:{model._meta.label}.{field.name}",
    )
