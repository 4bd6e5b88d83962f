from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("pages.urls")),
    path("", include("app1.urls")),
    path("", include("app2.urls")),
    path("admin/", admin.site.urls),
    path("health/", include("health.urls")),
]
