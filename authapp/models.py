from django.contrib.auth.models import AbstractUser


class SharedUser(AbstractUser):
    """The site's one user model; films and books in other databases point at it by id."""

    class Meta:
        verbose_name = "shared user"
