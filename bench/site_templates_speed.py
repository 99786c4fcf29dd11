"""What site-template learning costs the store step: storing articles with and without it.

Generated sites' pages (``demo.templated``) are prepared first (not timed); then, in a fresh
SQLite (or ``DATABASE_URL``) store, each page is stored as the pipeline stores it, alternating
page by page between two publishers: one plain (``upsert_article``) and one with its site
template cleaned before and learnt after (``publishers.site_templates``). Prints milliseconds per
article for both and their ratio.

Usage: cd /work/main && .venv/bin/python bench/site_templates_speed.py [--sites 5] [--pages 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=5)
    parser.add_argument("--pages", type=int, default=60)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("BROADSHEET_HOME", tempfile.mkdtemp(prefix="broadsheet-templates-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from broadsheet.articles.store import ArticleRecord, upsert_article
    from broadsheet.demo.templated import generated_site
    from broadsheet.ingest.prepare import prepare_page
    from broadsheet.publishers import site_templates
    from broadsheet.sources.models import Publisher, Source

    call_command("migrate", interactive=False, verbosity=0)
    prepared = [(prepare_page(p.html.encode(), p.url), p.url)
                for n in range(args.sites) for p in generated_site(f"Speed {n}", args.pages)]
    elapsed = {"plain": 0.0, "templates": 0.0}
    sources = {}
    for name in elapsed:
        publisher = Publisher.objects.create(name=f"{name} {time.time()}")
        sources[name] = Source.objects.create(publisher=publisher, url=f"https://{name}.example/")

    def data(source, article, url: str) -> ArticleRecord:
        return ArticleRecord(
            publisher_id=source.publisher_id, source_id=source.pk, url=url + "#" + source.url,
            canonical_url=url + "#" + source.url, guid=url, title=article.title or url,
            author="", section="", published_at=datetime.now(UTC), language="en",
            summary=article.summary, html=article.html, text=article.text, image_url="",
            word_count=article.word_count)

    for article, url in prepared:
        for name, source in sources.items():
            start = time.perf_counter()
            if name == "templates":
                page_html = article.html
                cleaned = site_templates.clean(source.publisher_id, article)
                result, _ = upsert_article(data(source, cleaned, url))
                if result == "new":
                    site_templates.learn(source.publisher_id, url, page_html)
            else:
                upsert_article(data(source, article, url))
            elapsed[name] += time.perf_counter() - start
    count = len(prepared)
    plain, learnt = (1000 * elapsed[n] / count for n in ("plain", "templates"))
    print(f"{count} articles per publisher ({args.sites} sites x {args.pages} pages)")
    print(f"store alone: {plain:.2f} ms/article; with site templates: {learnt:.2f} ms/article; "
          f"ratio {learnt / plain:.2f}x")


if __name__ == "__main__":
    main()
