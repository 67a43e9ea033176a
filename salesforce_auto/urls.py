from django.urls import path

from salesforce_auto import views

app_name = "salesforce_auto"
urlpatterns = [
    path("me/", views.me, name="me"),
    path("sw.js", views.service_worker, name="visit-sw"),
    path("visits/", views.visit_list, name="visit-list"),
    path("visits/new/", views.visit_new, name="visit-new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/daily/", views.daily_report, name="daily-report"),
    path("visits/plans/new/", views.plan_new, name="plan-new"),
    path("visits/appointments/new/", views.appointment_new, name="appointment-new"),
    path("visits/survey/<int:customer_id>/", views.customer_survey, name="customer-survey"),
    path("team/reports/", views.team_reports, name="team-reports"),
    path("team/daily/<int:pk>/", views.daily_detail, name="daily-detail"),
    path("team/weekly/<int:pk>/", views.weekly_detail, name="weekly-detail"),
    path("team/weekly/build/", views.weekly_build, name="weekly-build"),
]
