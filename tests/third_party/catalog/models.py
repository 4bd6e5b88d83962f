from accounts.models import Customer
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase


class CatalogTag(TagBase):
    """The catalog's own tags: taggit's Tag and TaggedItem are generic and live with the content types."""


class TaggedProduct(TaggedItemBase):
    content_object = models.ForeignKey("Product", on_delete=models.CASCADE)
    tag = models.ForeignKey(CatalogTag, on_delete=models.CASCADE, related_name="tagged_products")


class Product(models.Model):
    name = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    tags = TaggableManager(through=TaggedProduct, blank=True)
    # The user who made each change, by id: a ForeignKey here would be SET_NULL into another database.
    history = HistoricalRecords(history_user_id_field=models.IntegerField(null=True, db_index=True))

    def __str__(self):
        return self.name


class Supplier(Customer):
    """A proxy of the user model declared in the catalog: its rows are users, on default."""

    class Meta:
        proxy = True


class FeaturedProduct(Product):
    """A proxy: its rows, and its reference to the user, are Product's (listed once)."""

    class Meta:
        proxy = True
