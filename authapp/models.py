from django.contrib.auth.models import AbstractUser, UserManager

from routers.references import ClearReferencesMixin, ClearReferencesQuerySet


class SharedUserManager(UserManager.from_queryset(ClearReferencesQuerySet)):
    """Django's UserManager, whose querysets clear films' and books' references before deleting users."""


class SharedUser(ClearReferencesMixin, AbstractUser):
    """The site's one user model; films and books in other databases point at it by id."""

    objects = SharedUserManager()

    class Meta:
        verbose_name = "shared user"
