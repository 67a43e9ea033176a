from django.urls import path

from segmentation import views_dashboard

app_name = "dashboard"
urlpatterns = [
    path("dashboard/", views_dashboard.dashboard, name="home"),
    path("dashboard/<slug:chart>.csv", views_dashboard.chart_csv, name="csv"),
]
