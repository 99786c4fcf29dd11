from django.urls import path

from . import views
from .images.view import image
from .views import briefing, desk, foryou
from .views.publisher import publisher_home, publisher_page

urlpatterns = [
    path("", views.home, name="home"),
    # Publishers' pictures, served from this site (web/images/).
    path("img/<str:signature>/<str:encoded>", image, name="image"),
    path("article/<int:pk>/print/", views.article_print, name="article_print"),
    path("article/<int:pk>/save/", views.save_toggle, name="save_toggle"),
    path("article/<int:pk>/<slug:slug>/", views.article, name="article"),
    path("section/<slug:slug>/", views.section, name="section"),
    path("publication/<slug:slug>/", views.publication, name="publication"),
    path("topic/<slug:slug>/", views.topic, name="topic"),
    path("story/<int:pk>/", views.story, name="story"),
    path("search", views.search_page, name="search"),
    path("saved/", views.saved, name="saved"),
    path("history/", views.history, name="history"),
    path("following/", views.following, name="following"),
    path("follow/", views.follow_toggle, name="follow_toggle"),
    # The daily briefing email: its settings, and unsubscribing from its link (no sign-in).
    path("briefing/", briefing.briefing_settings, name="briefing_settings"),
    path("briefing/unsubscribe/<str:token>/", briefing.unsubscribe, name="briefing_unsubscribe"),
    path("briefing/resubscribe/<str:token>/", briefing.resubscribe, name="briefing_resubscribe"),
    # For you: the reader's own ranking, their control over it, and reading reports.
    path("for-you/", foryou.page, name="for_you"),
    path("for-you/fewer/", foryou.fewer, name="for_you_fewer"),
    path("for-you/learned/", foryou.learned, name="for_you_learned"),
    path("for-you/learned/forget/", foryou.forget, name="for_you_forget"),
    path("for-you/learned/reset/", foryou.reset, name="for_you_reset"),
    path("reads/", foryou.reads, name="reads"),
    # A publisher's own reads and statements (linked accounts and staff only).
    path("publisher/", publisher_home, name="publisher_home"),
    path("publisher/<slug:slug>/", publisher_page, name="publisher_page"),
    # The editors' desk: plain forms that come back to the page they were posted from.
    path("desk/picks/", desk.pick_create, name="desk_pick_create"),
    path("desk/picks/<int:pk>/", desk.pick_update, name="desk_pick_update"),
    path("desk/picks/<int:pk>/move/", desk.pick_move, name="desk_pick_move"),
    path("desk/picks/<int:pk>/delete/", desk.pick_delete, name="desk_pick_delete"),
    path("desk/story/<int:pk>/title/", desk.story_title, name="desk_story_title"),
    path("desk/story/<int:pk>/lead/", desk.story_lead, name="desk_story_lead"),
    path("desk/story/<int:pk>/hide/", desk.story_hide, name="desk_story_hide"),
    path("desk/story/<int:pk>/merge/", desk.story_merge, name="desk_story_merge"),
    path("desk/article/<int:pk>/move/", desk.article_move, name="desk_article_move"),
    path("desk/article/<int:pk>/hide/", desk.article_hide, name="desk_article_hide"),
    path("desk/article/<int:pk>/takedown/", desk.article_takedown,
         name="desk_article_takedown"),
    path("desk/topic/<int:pk>/", desk.topic_edit, name="desk_topic_edit"),
    path("desk/log/", desk.log, name="desk_log"),
]
