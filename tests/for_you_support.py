"""A small newsroom for the For you tests: recent stories in six sections, each carried by two
outlets and tagged with topics directly (no reliance on the tagger's quality)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from api_support import make_publisher
from django.utils import timezone
from django.utils.text import slugify

from broadsheet.articles.models import Article
from broadsheet.stories.models import Story, StoryTopic, Topic

SECTIONS = ("World", "Politics", "Business", "Technology", "Sport", "Culture")
SUBJECTS = {
    "World": ["Ukraine", "Gaza", "Sudan"],
    "Politics": ["Parliament", "Elections", "Budget"],
    "Business": ["Inflation", "Banks", "Housing market"],
    "Technology": ["Artificial intelligence", "Smartphones", "Cybersecurity"],
    "Sport": ["Football", "Cricket", "Tennis"],
    "Culture": ["Film", "Theatre", "Books"],
}


@dataclass
class Newsroom:
    stories: dict[str, list[Story]] = field(default_factory=dict)  # by section
    leads: dict[int, Article] = field(default_factory=dict)  # story id -> first article

    def all_stories(self) -> list[Story]:
        return [s for section in SECTIONS for s in self.stories[section]]


def topic(name: str) -> Topic:
    found, _ = Topic.objects.get_or_create(slug=slugify(name),
                                           defaults={"name": name, "kind": "subject"})
    return found


def build_newsroom(per_section: int = 6, top_sections: tuple[str, ...] = ("World", "Politics"),
                   ) -> Newsroom:
    """``per_section`` stories per section in the last day; the first two stories of each of
    ``top_sections`` are widely covered (Top stories)."""
    now = timezone.now()
    room = Newsroom()
    outlets = [make_publisher(f"Outlet {n}") for n in range(8)]
    n = 0
    for s_index, section in enumerate(SECTIONS):
        room.stories[section] = []
        for i in range(per_section):
            n += 1
            at = now - timedelta(hours=1 + (n % 20), minutes=n)
            story = Story.objects.create(section=section, language="en",
                                         first_published_at=at, last_published_at=at,
                                         article_count=2, publisher_count=2,
                                         headline=f"{section} story {i}")
            first = None
            for k in range(2):
                publisher = outlets[(s_index + i + k * 3) % len(outlets)]
                article = Article.objects.create(
                    publisher=publisher, url=f"https://news.example/{n}/{k}",
                    canonical_url=f"https://news.example/{n}/{k}",
                    title=f"{section} story {i} as told by {publisher.name}",
                    text=f"{section} news {n}.", html=f"<p>{section} news {n}.</p>",
                    section=section, language="en", published_at=at - timedelta(minutes=k),
                    story=story, summary=f"What happened in {section.lower()} story {i}.")
                first = first or article
            room.leads[story.pk] = first
            subject = SUBJECTS[section][i % 3]
            for rank, name in enumerate((subject, section)):
                StoryTopic.objects.create(story=story, topic=topic(name), weight=1.0 - rank / 2,
                                          last_published_at=at)
            if section in top_sections and i < 2:
                story.score = 10.0 - i - s_index
                story.publisher_count = 6
                story.save(update_fields=["score", "publisher_count"])
            room.stories[section].append(story)
    return room
