from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("article/<int:pk>/print/", views.article_print, name="article_print"),
    path("article/<int:pk>/save/", views.save_toggle, name="save_toggle"),
    path("article/<int:pk>/<slug:slug>/", views.article, name="article"),
    path("section/<slug:slug>/", views.section, name="section"),
    path("publication/<slug:slug>/", views.publication, name="publication"),
    path("story/<int:pk>/", views.story, name="story"),
    path("search", views.search_page, name="search"),
    path("saved/", views.saved, name="saved"),
    path("history/", views.history, name="history"),
    path("following/", views.following, name="following"),
    path("follow/", views.follow_toggle, name="follow_toggle"),
]
