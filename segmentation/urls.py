from django.urls import path

from segmentation import views

app_name = "segmentation"
urlpatterns = [
    path("segmentation/runs/", views.run_list, name="run-list"),
    path("segmentation/runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("segmentation/runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
    path("segmentation/runs/<int:pk>/make-live/", views.run_make_live, name="run-make-live"),
]
