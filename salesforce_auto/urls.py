app_name = "salesforce_auto"
urlpatterns = []
