from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from routers.references import ClearReferencesMixin, ClearReferencesQuerySet, RoutedNaturalKeyMixin


class CustomerManager(RoutedNaturalKeyMixin, UserManager.from_queryset(ClearReferencesQuerySet)):
    pass


class Customer(ClearReferencesMixin, AbstractUser):
    objects = CustomerManager()


class Staff(Customer):
    """Users with a row of their own besides the user's (multi-table inheritance): the same ids."""

    badge = models.CharField(max_length=20, blank=True)


class Team(models.Model):
    """Beside the content types: the only place guardian's object permissions can point at."""

    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name
