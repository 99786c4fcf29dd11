from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("account/", include("broadsheet.readers.urls")),
    path("", include("broadsheet.web.pwa_urls")),
    path("", include("broadsheet.api.urls")),
    path("", include("broadsheet.web.urls")),
]
