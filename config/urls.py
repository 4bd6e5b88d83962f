from django.apps import apps
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("pages.urls")),
    path("", include("app1.urls")),
    path("", include("app2.urls")),
    path("admin/", admin.site.urls),
    path("health/", include("health.urls")),
]

if apps.is_installed("debug_toolbar"):  # the local settings only (config/settings/local.py)
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
