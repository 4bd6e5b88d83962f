from django.contrib.auth.models import AbstractUser, UserManager

from routers.references import ClearReferencesMixin, ClearReferencesQuerySet, RoutedNaturalKeyMixin


class SharedUserManager(RoutedNaturalKeyMixin, UserManager.from_queryset(ClearReferencesQuerySet)):
    """Django's UserManager: deleting clears films' and books' references first; natural keys read default."""


class SharedUser(ClearReferencesMixin, AbstractUser):
    """The site's one user model; films and books in other databases point at it by id."""

    objects = SharedUserManager()

    class Meta:
        verbose_name = "shared user"
