from django.urls import path

from customers import views, views_assignment

app_name = "customers"
urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("customers/export.csv", views.customer_export, name="export"),
    path("customers/new/", views.customer_create, name="create"),
    path("customers/import/", views.customer_import, name="import"),
    path("customers/import/<int:pk>/", views.customer_import_status, name="import-status"),
    path("customers/ranking/", views.evaluation_ranking, name="ranking"),
    path("customers/assignment-rules/", views_assignment.rule_list, name="assignment-rules"),
    path("customers/assignment-rules/new/", views_assignment.rule_create, name="assignment-rule-create"),
    path("customers/assignment-rules/<int:pk>/edit/", views_assignment.rule_edit, name="assignment-rule-edit"),
    path("customers/assignment-rules/<int:pk>/delete/", views_assignment.rule_delete, name="assignment-rule-delete"),
    path("customers/assignment-rules/<int:pk>/move/", views_assignment.rule_move, name="assignment-rule-move"),
    path("customers/<int:pk>/", views.customer_detail, name="detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="edit"),
    path("customers/<int:pk>/transition/", views.customer_transition, name="transition"),
    path("customers/<int:pk>/level/", views.customer_level, name="level"),
    path("customers/<int:pk>/qualification/", views.customer_qualify, name="qualify"),
    path("customers/<int:pk>/evaluate/", views.customer_evaluate, name="evaluate"),
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
]
