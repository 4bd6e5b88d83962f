# ruff: noqa: DJ008 - models that exist to be reported
from accounts.models import Customer
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from simple_history.models import HistoricalRecords
from taggit.managers import TaggableManager


class Review(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)  # E008, E009


class Wishlist(models.Model):
    customers = models.ManyToManyField(settings.AUTH_USER_MODEL)  # E010


class Note(models.Model):
    tags = TaggableManager()  # taggit's generic TaggedItem, on default: E010


class Bookmark(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.DO_NOTHING, db_constraint=False)  # E007
    object_id = models.PositiveIntegerField()
    content_object = GenericForeignKey()  # E013


class Poster(models.Model):
    permissions = GenericRelation("guardian.UserObjectPermission", object_id_field="object_pk")  # E014


class Coupon(models.Model):
    history = HistoricalRecords()  # history_user: SET_NULL to the user model (E009)


class Moderator(Customer):
    class Meta:
        proxy = True  # routed by ByOwnAppLabel to catalog: E012 (and E004, E005)
