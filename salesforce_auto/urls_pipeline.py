from django.urls import path

from salesforce_auto import views_pipeline as views

app_name = "pipeline"
urlpatterns = [
    path("pipeline/", views.board, name="board"),
    path("pipeline/opportunities/new/", views.opportunity_new, name="opportunity-new"),
    path("pipeline/opportunities/<int:pk>/", views.opportunity_detail, name="opportunity"),
    path("pipeline/opportunities/<int:pk>/move/", views.opportunity_move, name="opportunity-move"),
    path("pipeline/opportunities/<int:pk>/order/", views.opportunity_order, name="opportunity-order"),
    path("pipeline/forecast/", views.forecast, name="forecast"),
    path("pipeline/quotes/", views.quotes, name="quotes"),
    path("pipeline/quotes/new/", views.quote_new, name="quote-new"),
    path("pipeline/quotes/<int:pk>/", views.quote_editor, name="quote"),
    path("pipeline/quotes/<int:pk>/issue/", views.quote_issue, name="quote-issue"),
]
