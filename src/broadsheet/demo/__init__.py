"""The offline demo: a bundled network of fictional publishers served on 127.0.0.1.

It lets Broadsheet be tried, tested and benchmarked end to end without the internet.
"""

from .network import DEFAULT_PORT, DemoArticle, DemoFeed, DemoNetwork, DemoPublisher

__all__ = ["DEFAULT_PORT", "DemoArticle", "DemoFeed", "DemoNetwork", "DemoPublisher"]
