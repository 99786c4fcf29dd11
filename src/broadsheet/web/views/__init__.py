"""Reader-facing pages: home, article, sections and publications, search, a reader's lists."""

from .article import article, article_print
from .listings import home, publication, section, topic
from .reader import follow_toggle, following, history, save_toggle, saved
from .search import search_page
from .story import story

__all__ = ["article", "article_print", "follow_toggle", "following", "history", "home",
           "publication", "save_toggle", "saved", "search_page", "section", "story", "topic"]
