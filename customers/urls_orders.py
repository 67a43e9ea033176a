from django.urls import path

from customers import views_orders

app_name = "orders"
urlpatterns = [
    path("customers/<int:pk>/orders/", views_orders.customer_orders, name="customer-orders"),
    path("orders/import/", views_orders.import_orders, name="import"),
    path("orders/import/<int:pk>/", views_orders.import_status, name="import-status"),
]
