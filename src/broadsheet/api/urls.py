"""Machine surfaces: the JSON API, feeds out, the Google Reader API. (Filled in by the API work.)"""

urlpatterns: list = []
