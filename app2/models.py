from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .validators import validate_isbn13


class Author(models.Model):
    """A book author."""

    name = models.CharField(max_length=200, db_index=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Book(models.Model):
    """A book, its authors, and the shared user who added it."""

    title = models.CharField(max_length=300)
    isbn = models.CharField("ISBN-13", max_length=13, unique=True, validators=[validate_isbn13])
    authors = models.ManyToManyField(Author, related_name="books")
    published = models.DateField(null=True, blank=True)
    pages = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    # The user lives in another database: no constraint, no cascade (see routers/references.py).
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="books",
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        # The whole ordering: on title alone, PostgreSQL sorts each title's ties by id and reads
        # every row a page skips from the table (InnoDB's secondary indexes carry the id anyway).
        indexes = [models.Index(fields=["title", "id"], name="app2_book_title_id")]

    def __str__(self):
        return self.title
