from django.urls import path

from service import views

app_name = "service"
urlpatterns = [
    path("service/complaints/", views.complaint_list, name="complaint-list"),
    path("service/complaints/new/", views.complaint_create, name="complaint-create"),
    path("service/complaints/<int:pk>/", views.complaint_detail, name="complaint-detail"),
    path("service/complaints/<int:pk>/advance/", views.complaint_advance, name="complaint-advance"),
    path("service/complaints/<int:pk>/edit/", views.complaint_update, name="complaint-update"),
    path("service/notifications/", views.notification_list, name="notification-list"),
    path("service/notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("service/surveys/", views.survey_list, name="survey-list"),
    path("service/surveys/<int:pk>/", views.survey_entry, name="survey-entry"),
    path("service/customers/<int:customer_id>/survey/", views.survey_create, name="survey-create"),
    path("service/loyalty/", views.loyalty_list, name="loyalty-list"),
    path("service/customers/<int:customer_id>/loyalty/", views.loyalty_card, name="loyalty-card"),
    path("service/customers/<int:customer_id>/loyalty/enroll/", views.loyalty_enroll, name="loyalty-enroll"),
    path("service/customers/<int:customer_id>/loyalty/redeem/", views.loyalty_redeem, name="loyalty-redeem"),
    path("service/customers/<int:customer_id>/loyalty/adjust/", views.loyalty_adjust, name="loyalty-adjust"),
    path("service/customers/<int:customer_id>/referrals/", views.referral_create, name="referral-create"),
    path("service/referrals/<int:pk>/convert/", views.referral_convert, name="referral-convert"),
]
