from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

FIRST_FILM_YEAR = 1888  # Roundhay Garden Scene
LAST_FILM_YEAR = 2100


class Director(models.Model):
    """A film director."""

    name = models.CharField(max_length=200, db_index=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Film(models.Model):
    """A film, its director, and the shared user who added it."""

    title = models.CharField(max_length=200, db_index=True)
    director = models.ForeignKey(Director, on_delete=models.CASCADE, related_name="films")
    year = models.PositiveSmallIntegerField(
        db_index=True,  # the admin's year filter lists distinct years: an index scan, not a sort of every film
        validators=[MinValueValidator(FIRST_FILM_YEAR), MaxValueValidator(LAST_FILM_YEAR)],
    )
    runtime_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    # The user lives in another database: no constraint, no cascade (see routers/references.py).
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="films",
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=FIRST_FILM_YEAR, year__lte=LAST_FILM_YEAR),
                name="app1_film_year_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.year})"
