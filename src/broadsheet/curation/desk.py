"""The stories desk: what editors change about stories and articles, and takedowns.

Editors retitle a story (the automatic title stays as the fallback), choose its lead article,
merge two stories, move an article to another story or to a new one, hide a story or an article
from listings, and take an article down. What an editor decided stands: the articles of the
stories a merge or a move shaped are pinned (clustering never moves them again), and those
stories are kept (clustering never joins them with another); articles arriving later may still
join them. Every action is written to the audit log.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from broadsheet.articles.models import Article, Takedown
from broadsheet.audit.log import record
from broadsheet.stories import assign
from broadsheet.stories.models import Story, StoryTopic, Topic, TopicAlias

from . import picks

MAX_TITLE_CHARS = 300
MAX_REASON_CHARS = 1000


class DeskError(ValueError):
    """An edit that cannot be made; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _story_state(story: Story) -> dict:
    return {"headline": story.title, "edited_headline": story.edited_headline,
            "lead_article": story.lead_article_id,
            "hidden": story.hidden_at is not None, "articles": story.article_count}


def retitle(editor, story: Story, title: str) -> Story:
    """Give a story an editor's title; an empty title goes back to the automatic one."""
    title = " ".join((title or "").split())
    if len(title) > MAX_TITLE_CHARS:
        raise DeskError("title", f"A title is at most {MAX_TITLE_CHARS} characters.")
    before = _story_state(story)
    with transaction.atomic():
        Story.objects.filter(pk=story.pk).update(edited_headline=title)
        story.edited_headline = title
        record(editor, "story.retitle", f"story:{story.pk}",
               f"Retitled story {story.pk} \u201c{story.title}\u201d"
               if title else f"Gave story {story.pk} its automatic title back",
               before=before, after=_story_state(story))
    return story


def set_lead(editor, story: Story, article: Article | None) -> Story:
    """Choose the article a story leads with (None: the automatic choice)."""
    if article is not None and article.story_id != story.pk:
        raise DeskError("article_id", "The lead must be one of the story's articles.")
    before = _story_state(story)
    with transaction.atomic():
        Story.objects.filter(pk=story.pk).update(lead_article=article)
        story.lead_article = article
        record(editor, "story.lead", f"story:{story.pk}",
               f"Story {story.pk} leads with \u201c{article.title}\u201d" if article
               else f"Story {story.pk} leads with its automatic choice",
               before=before, after=_story_state(story))
    return story


def set_story_hidden(editor, story: Story, hidden: bool) -> Story:
    """Hide a story from Top stories and every list (its page stays), or list it again."""
    before = _story_state(story)
    with transaction.atomic():
        story.hidden_at = timezone.now() if hidden else None
        Story.objects.filter(pk=story.pk).update(hidden_at=story.hidden_at)
        record(editor, "story.hide" if hidden else "story.show", f"story:{story.pk}",
               f"{'Hid' if hidden else 'Showed again'} story \u201c{story.title}\u201d",
               before=before, after=_story_state(story))
    return story


def set_article_hidden(editor, article: Article, hidden: bool) -> Article:
    """Hide an article from every list, search and story (its page stays), or list it again."""
    before = {"hidden": article.hidden_at is not None}
    with transaction.atomic():
        article.hidden_at = timezone.now() if hidden else None
        Article.objects.filter(pk=article.pk).update(hidden_at=article.hidden_at)
        record(editor, "article.hide" if hidden else "article.show", f"article:{article.pk}",
               f"{'Hid' if hidden else 'Showed again'} \u201c{article.title}\u201d",
               before=before, after={"hidden": hidden})
    return article


def merge(editor, gone: Story, survivor: Story) -> Story:
    """Merge ``gone`` into ``survivor``: its articles move over and stay; its address leads on."""
    if gone.pk == survivor.pk:
        raise DeskError("into", "A story cannot be merged into itself.")
    if survivor.merged_into_id or gone.merged_into_id:
        raise DeskError("into", "That story was merged already; merge into its survivor.")
    before = {"gone": _story_state(gone), "survivor": _story_state(survivor)}
    now = timezone.now()
    with transaction.atomic():
        Article.objects.filter(story=gone).update(story=survivor)
        # The editor decided what the story holds: clustering moves none of it again.
        Article.objects.filter(story=survivor, story_pinned_at__isnull=True).update(
            story_pinned_at=now)
        Story.objects.filter(pk=gone.pk).update(merged_into=survivor, article_count=0,
                                                publisher_count=0, score=0.0)
        Story.objects.filter(merged_into=gone).update(merged_into=survivor)
        Story.objects.filter(pk=survivor.pk).update(kept_by_desk=True)
        picks.follow_merge(gone, survivor)
        assign.refresh_stories([gone.pk, survivor.pk])
        survivor.refresh_from_db()
        record(editor, "story.merge", f"story:{survivor.pk}",
               f"Merged story {gone.pk} \u201c{gone.title}\u201d into story {survivor.pk} "
               f"\u201c{survivor.title}\u201d",
               before=before, after={"survivor": _story_state(survivor)})
    return survivor


def _family(article: Article) -> Q:
    """An article with its syndicated copies (a copy stands for its original's family)."""
    root = article.duplicate_of_id or article.pk
    return Q(pk=root) | Q(duplicate_of_id=root)


def move_article(editor, article: Article, to: Story | None) -> Story:
    """Move an article (with its copies) to another story, or to a new one (``to`` None)."""
    source = article.story
    if to is not None and (to.pk == article.story_id or to.merged_into_id):
        raise DeskError("story_id", "Move the article to another story that stands.")
    now = timezone.now()
    with transaction.atomic():
        if to is None:
            to = Story.objects.create(language=assign.partition_of(article.language),
                                      first_published_at=article.published_at,
                                      last_published_at=article.published_at)
        Article.objects.filter(_family(article)).update(story=to, story_assigned_at=now)
        # The editor decided what both stories hold: clustering moves none of it again.
        shaped = [s.pk for s in (source, to) if s]
        Article.objects.filter(story_id__in=shaped, story_pinned_at__isnull=True).update(
            story_pinned_at=now)
        Story.objects.filter(pk__in=shaped).update(kept_by_desk=True)
        if source is not None:
            Story.objects.filter(pk=source.pk, lead_article_id__in=Article.objects.filter(
                story=to).values("pk")).update(lead_article=None)
        assign.refresh_stories([s.pk for s in (source, to) if s])
        if source is not None and not Article.objects.filter(story=source).exists():
            Story.objects.filter(pk=source.pk).update(merged_into=to, article_count=0,
                                                      publisher_count=0, score=0.0)
        to.refresh_from_db()
        record(editor, "article.move", f"article:{article.pk}",
               f"Moved \u201c{article.title}\u201d from story "
               f"{source.pk if source else 'none'} to story {to.pk}",
               before={"story": source.pk if source else None}, after={"story": to.pk})
    return to


def take_down(editor, article: Article, reason: str) -> Takedown:
    """Remove an article from every surface for good, with a reason.

    The row is deleted (so no list, search, feed or API can show it) and a takedown record
    keeps its addresses: the store refuses it when a feed brings it back, and its page answers
    410 Gone. Copies of a removed original stay (their outlets carried them separately): the
    earliest becomes the original.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise DeskError("reason", "Say why the article is taken down.")
    if len(reason) > MAX_REASON_CHARS:
        raise DeskError("reason", f"A reason is at most {MAX_REASON_CHARS} characters.")
    story_id = article.story_id
    with transaction.atomic():
        takedown = Takedown.objects.create(
            article_id=article.pk, canonical_url=article.canonical_url, url=article.url,
            source_id=article.source_id, guid=article.guid, publisher_id=article.publisher_id,
            title=article.title, reason=reason, removed_by=editor if editor else None)
        if article.duplicate_of_id is None:
            _promote_first_copy(article)
        Story.objects.filter(lead_article=article).update(lead_article=None)
        record(editor, "article.takedown", f"article:{article.pk}",
               f"Took down \u201c{article.title}\u201d", reason=reason,
               before={"title": article.title, "url": article.canonical_url,
                       "publisher": article.publisher_id, "story": story_id},
               after={"removed": True})
        article.delete()
        if story_id:
            assign.refresh_stories([story_id])
            if not Article.objects.filter(story_id=story_id).exists():
                Story.objects.filter(pk=story_id).update(article_count=0, publisher_count=0,
                                                         score=0.0)
    return takedown


def _promote_first_copy(original: Article) -> None:
    copies = list(Article.objects.filter(duplicate_of=original).order_by("published_at", "id")
                  .values_list("pk", flat=True))
    if copies:
        Article.objects.filter(pk=copies[0]).update(duplicate_of=None)
        Article.objects.filter(pk__in=copies[1:]).update(duplicate_of_id=copies[0])


# --- topics ----------------------------------------------------------------------------------

def _topic_state(topic: Topic) -> dict:
    return {"name": topic.name, "slug": topic.slug, "kind": topic.kind, "hidden": topic.hidden,
            "merged_into": topic.merged_into_id}


def rename_topic(editor, topic: Topic, name: str) -> Topic:
    """Give a topic an editor's name (its address stays, so links and follows keep working)."""
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise DeskError("name", "A topic's name is 1 to 200 characters.")
    before = _topic_state(topic)
    with transaction.atomic():
        topic.name = name
        topic.save(update_fields=["name"])
        record(editor, "topic.rename", f"topic:{topic.pk}",
               f"Renamed topic \u201c{before['name']}\u201d to \u201c{name}\u201d",
               before=before, after=_topic_state(topic))
    return topic


def set_topic_hidden(editor, topic: Topic, hidden: bool) -> Topic:
    """A hidden topic is not shown on stories nor given to them; its page is gone."""
    before = _topic_state(topic)
    with transaction.atomic():
        topic.hidden = hidden
        topic.save(update_fields=["hidden"])
        record(editor, "topic.hide" if hidden else "topic.show", f"topic:{topic.pk}",
               f"{'Hid' if hidden else 'Showed again'} topic \u201c{topic.name}\u201d",
               before=before, after=_topic_state(topic))
    return topic


def merge_topics(editor, gone: Topic, survivor: Topic) -> Topic:
    """One entity under two topics: ``gone``'s names and stories join ``survivor``, and its
    address (and readers' follows of it) lead there."""
    if gone.pk == survivor.pk or survivor.merged_into_id:
        raise DeskError("into", "Merge into another topic that stands.")
    before = {"gone": _topic_state(gone), "survivor": _topic_state(survivor)}
    with transaction.atomic():
        TopicAlias.objects.filter(topic=gone).update(topic=survivor)
        has_both = StoryTopic.objects.filter(topic=survivor).values("story_id")
        StoryTopic.objects.filter(topic=gone, story_id__in=has_both).delete()
        StoryTopic.objects.filter(topic=gone).update(topic=survivor)
        Topic.objects.filter(merged_into=gone).update(merged_into=survivor)
        gone.merged_into = survivor
        gone.save(update_fields=["merged_into"])
        record(editor, "topic.merge", f"topic:{survivor.pk}",
               f"Merged topic \u201c{gone.name}\u201d into \u201c{survivor.name}\u201d",
               before=before, after={"survivor": _topic_state(survivor)})
    return survivor
