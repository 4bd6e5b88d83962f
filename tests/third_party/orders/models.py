import reversion
from django.conf import settings
from django.db import models


@reversion.register()
class Order(models.Model):
    reference = models.CharField(max_length=20)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    approver_id = models.IntegerField(null=True, blank=True)  # a Staff id (settings.DATABASE_REFERENCES)

    def __str__(self):
        return self.reference
