"""What a reader may ask to see fewer of: a section, publisher or topic named by its slug."""

from __future__ import annotations

from broadsheet.sources.models import Publisher
from broadsheet.stories.queries import topic_by_slug

from .interests import Feature
from .models import Interest, Section


def feature_for(kind: str, slug: str) -> Feature | None:
    """The section, publisher or topic with ``slug`` as a feature, or None when unknown."""
    if kind == Interest.Kind.SECTION:
        section = Section.objects.filter(slug=slug).first()
        return Feature(kind, section.slug, section.name) if section else None
    if kind == Interest.Kind.PUBLISHER:
        publisher = Publisher.objects.filter(slug=slug).first()
        return Feature(kind, publisher.slug, publisher.name) if publisher else None
    if kind == Interest.Kind.TOPIC:
        topic, _ = topic_by_slug(slug)
        return Feature(kind, topic.slug, topic.name) if topic else None
    return None
