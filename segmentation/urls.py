app_name = "segmentation"
urlpatterns = []
