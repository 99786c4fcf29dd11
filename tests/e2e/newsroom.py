"""A small newsroom for the browser tests: two publications and a handful of full articles.

Bodies are several paragraphs of sanitised HTML (as ingest stores them), so that the teaser,
the paywall and the whole article are all visibly different in a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.readers.models import Membership, User
from broadsheet.sources.models import Publisher

PASSWORD = "a long enough passphrase 42"

STORIES = [
    {
        "publisher": "The Harbour Gazette",
        "section": "Science",
        "title": "Tidal turbines in the estuary power a town for a whole winter",
        "author": "Mara Lindqvist",
        "paragraphs": [
            "Six turbines anchored on the estuary floor kept the lights on in Port Ellery from "
            "November to March, the first full winter the town has run without the diesel plant.",
            "Engineers had feared that the storms of January would tear the cables loose, but the "
            "sensors recorded nothing worse than a day of reduced output.",
            "The council now plans to add four more turbines in the spring, paid for by the money "
            "the town no longer spends on fuel shipments.",
            "Fishermen, who opposed the scheme at first, say the catch near the turbines has been "
            "better than in any year they can remember.",
            "Marine biologists from the university will spend the summer counting what lives "
            "around the foundations, which seem to work as an artificial reef. Their survey "
            "plan is at https://harbour-gazette.example/reports/estuary-turbine-foundations-"
            "biodiversity-survey-plan-final-version.pdf for anyone who wants the detail.",
            "The final paragraph notes that the full report will be published in the autumn.",
        ],
    },
    {
        "publisher": "The Harbour Gazette",
        "section": "Business",
        "title": "Ferry company orders three electric boats for the island routes",
        "author": "Tomas Reyes",
        "paragraphs": [
            "The island ferry company has ordered three battery-powered boats, the largest order "
            "of its kind on the coast.",
            "Each boat will carry two hundred passengers and charge at the quay in twelve minutes.",
            "The first is due to enter service next summer on the short crossing to Skerry.",
            "Passengers should notice little except the quiet, the operator said.",
        ],
    },
    {
        "publisher": "Northern Ledger",
        "section": "Technology",
        "title": "Libraries lend out laptops and find readers come back for books",
        "author": "Ada Okafor",
        "paragraphs": [
            "When the county libraries began lending laptops last year, librarians expected the "
            "machines to disappear for weeks at a time.",
            "Instead, most came back on time, and the borrowers kept coming back too: book loans "
            "rose by a fifth in the branches that took part.",
            "The scheme will now reach every branch in the county, with a thousand more machines.",
            "Volunteers run evening sessions for anyone who has never used a computer before.",
            "The library service says it will publish its figures every quarter.",
        ],
    },
    {
        "publisher": "Northern Ledger",
        "section": "World",
        "title": "Mountain villages share one doctor by video and by snowmobile",
        "author": "Ilse Brandt",
        "paragraphs": [
            "Seven villages in the high valley have shared a single doctor for a decade, and this "
            "winter she saw most of her patients on a screen.",
            "For the rest she travels by snowmobile, a journey of up to three hours each way.",
            "The regional health board has promised a second doctor by the end of the year.",
            "Residents say the video calls have changed how often they seek help early.",
        ],
    },
]


@dataclass
class Newsroom:
    articles: list[Article]
    publishers: dict[str, Publisher]

    @property
    def lead(self) -> Article:
        return self.articles[0]


def make_newsroom() -> Newsroom:
    """Create the publications and articles (latest first) and return them."""
    publishers: dict[str, Publisher] = {}
    articles: list[Article] = []
    now = timezone.now()
    for n, story in enumerate(STORIES):
        name = story["publisher"]
        if name not in publishers:
            slug = name.lower().replace(" ", "-")
            publishers[name] = Publisher.objects.create(
                name=name, slug=slug, homepage_url=f"https://{slug}.example/")
        paragraphs = story["paragraphs"]
        text = "\n\n".join(paragraphs)
        url = f"https://{publishers[name].slug}.example/news/{n + 1}"
        articles.append(Article.objects.create(
            publisher=publishers[name], url=url, canonical_url=url, title=story["title"],
            author=story["author"], section=story["section"],
            published_at=now - timedelta(hours=n + 1), language="en",
            summary=paragraphs[0][:160], html="".join(f"<p>{p}</p>" for p in paragraphs),
            text=text, word_count=len(text.split())))
    return Newsroom(articles=articles, publishers=publishers)


def make_member(email: str = "member@example.com") -> User:
    """A reader in their free trial, with the shared test password."""
    user = User.objects.create_user(email, PASSWORD)
    Membership.objects.create(user=user, state=Membership.State.TRIALING,
                              trial_ends_at=timezone.now() + timedelta(days=14))
    return user
