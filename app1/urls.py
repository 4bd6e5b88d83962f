from django.urls import path

from . import views

app_name = "app1"
urlpatterns = [
    path("films/", views.film_list, name="film_list"),
    path("films/<int:pk>/", views.film_detail, name="film_detail"),
]
