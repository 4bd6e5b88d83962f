from django.contrib import admin
from django.urls import include, path

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("app1.urls")),
    path("", include("app2.urls")),
    path("admin/", admin.site.urls),
    path("health/", health.health, name="health"),
    path("health/live/", health.live, name="health_live"),
]
