from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("app1.urls")),
    path("", include("app2.urls")),
    path("admin/", admin.site.urls),
]
