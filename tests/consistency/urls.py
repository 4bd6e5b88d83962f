"""The site's own URLs, and the test views under /registers/."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("registers/", views.register_list),
    path("registers/<int:pk>/", views.register_detail),
    path("registers/<int:pk>/async/", views.register_async),
    path("registers/<int:pk>/stream/", views.register_stream),
    path("registers/<int:pk>/edit/", views.RegisterEdit.as_view()),
    path("registers/<int:pk>/raw/", views.register_raw),
    path("registers/<int:pk>/touch/", views.register_touch),
    path("registers/<int:pk>/bump/", views.register_bump),
    path("", include("config.urls")),
]
