from importlib import import_module

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from crm import views
from crm.api import TokenObtainView

# Each app's api.py exposes a `router` (its viewsets) and `urlpatterns` (extra API routes).
API_MODULES = [
    "crm.api",
    "customers.api",
    "customers.api_orders",
    "salesforce_auto.api",
    "salesforce_auto.api_pipeline",
    "segmentation.api",
    "segmentation.api_dashboard",
    "service.api",
]
PAGE_MODULES = [
    "customers.urls",
    "customers.urls_orders",
    "salesforce_auto.urls",
    "salesforce_auto.urls_pipeline",
    "segmentation.urls",
    "segmentation.urls_dashboard",
    "service.urls",
]

api_router = DefaultRouter()
api_extra = []
for module_name in API_MODULES:
    module = import_module(module_name)
    api_router.registry.extend(module.router.registry)
    api_extra += module.urlpatterns

api_urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    *api_extra,
    *api_router.urls,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job-progress"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_urlpatterns)),
    *[path("", include(m)) for m in PAGE_MODULES],
]

handler404 = "crm.views.not_found"
handler500 = "crm.views.server_error"
