from django.contrib import admin
from django.urls import include, path

from broadsheet.readers.admin_login import admin_login

urlpatterns = [
    path("admin/login/", admin_login),  # throttled like every sign-in door
    path("admin/", admin.site.urls),
    path("account/", include("broadsheet.readers.urls")),
    path("", include("broadsheet.web.pwa_urls")),
    path("", include("broadsheet.api.urls")),
    path("", include("broadsheet.web.urls")),
]
