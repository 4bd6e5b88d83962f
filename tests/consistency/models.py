from django.db import models


class Register(models.Model):
    """A value and a version that every write increments: a stale read or a lost update shows in the version."""

    value = models.IntegerField(default=0)
    version = models.IntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"register {self.pk} v{self.version}"

    def as_dict(self):
        return {"id": self.pk, "value": self.value, "version": self.version}
