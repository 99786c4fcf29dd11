"""Generated multi-page news sites whose pages share a template of boilerplate that reads as prose.

The demo network's pages carry only the furniture the general trimming rules already remove.
These sites carry the kind that gets past them on real sites: a paragraph asking readers for
money, a corrections notice, picture credits, a "most read" list of other headlines, all written
as sentences. Every page of a site repeats them around an article of its own, so a site-template
learner can be tested and measured against known truth (``GeneratedPage.paragraphs``).

``generated_site(name, pages, seed)`` builds one site; everything is deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from broadsheet import markup

_VOCABULARY = (
    "council harbour ferry budget minister report families workers river bridge school hospital "
    "election voters police court judge weather storm farmers market prices energy water train "
    "station mayor plan residents town city coast island village road housing rent wages union "
    "strike talks agreement government opposition party committee inquiry evidence witnesses "
    "officials spokesperson company shares profit losses jobs factory port ships cargo fishing "
    "quota season festival museum library theatre players match goal coach league final crowd "
    "scientists study data survey results researchers climate flood drought heat winter summer "
    "spring autumn morning evening week month year decade century history people community"
)
_WORDS = tuple(_VOCABULARY.split())
_GLUE = ("the", "a", "of", "to", "and", "in", "on", "for", "with", "after", "before", "said",
         "would", "could", "has", "had", "was", "were", "is", "will", "from", "by", "at", "its")
_NAMES = ("Ana Ferreira", "Tom Okafor", "Lena Berg", "Raj Menon", "Sofia Duarte", "Jon Hale",
          "Mira Novak", "Owen Price", "Ines Costa", "Karl Lund")


@dataclass(frozen=True)
class GeneratedPage:
    """One article page of a generated site, with its true article paragraphs."""

    url: str
    html: str
    headline: str
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        """The article's true text, paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) if rng.random() < 0.6 else rng.choice(_GLUE)
             for _ in range(rng.randint(12, 24))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))


def boilerplate(name: str) -> dict[str, str]:
    """The template blocks of the site ``name``: sentences no general rule recognises."""
    return {
        "appeal": (f"{name} is an independent newsroom paid for by the people who read it, and "
                   "every contribution keeps our reporting open to everyone in the region."),
        "corrections": (f"Spotted an error in this report? The standards desk of {name} answers "
                        "every letter within two working days."),
        "credits": (f"Photographs by the {name} picture desk, with maps and graphics by the data "
                    "team."),
        "podcast": (f"Every weekday morning the {name} podcast brings the region's stories to "
                    "you in twenty minutes, read by our reporters."),
    }


def _page(name: str, base_url: str, number: int, rng: random.Random,
          others: list[str]) -> GeneratedPage:
    """One article page: header, the article with the appeal in the middle, the rest after."""
    headline = _sentence(rng).rstrip(".")[:90]
    paragraphs = tuple(_paragraph(rng) for _ in range(rng.randint(5, 9)))
    parts = [f"<p>{markup.escape_attr(p)}</p>" for p in paragraphs]
    blocks = boilerplate(name)
    parts.insert(2, f'<p class="appeal">{markup.escape_attr(blocks["appeal"])}</p>')
    most_read = "".join(f'<li><a href="{base_url}/news/{i}">{markup.escape_attr(h)}</a></li>'
                        for i, h in enumerate(rng.sample(others, k=min(4, len(others)))))
    url = f"{base_url}/news/{number}"
    e, home = markup.escape_attr, base_url
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{markup.escape_attr(headline)} | {markup.escape_attr(name)}</title>
<link rel="canonical" href="{url}"><meta property="og:site_name" content="{e(name)}">
</head><body><header><a href="{home}/">{e(name)}</a><nav><a href="{home}/news">News</a>
<a href="{home}/sport">Sport</a></nav></header>
<main><article><h1>{markup.escape_attr(headline)}</h1>
<p class="byline">By {markup.escape_attr(rng.choice(_NAMES))}</p>
<div class="body">{''.join(parts)}
<p>{markup.escape_attr(blocks["podcast"])}</p>
<p><em>{markup.escape_attr(blocks["credits"])}</em></p>
<p>{markup.escape_attr(blocks["corrections"])}</p></div>
<section><h2>Most read</h2><ol>{most_read}</ol></section>
</article></main><footer><p>{markup.escape_attr(name)}, 1 Quay Street</p></footer></body></html>"""
    return GeneratedPage(url=url, html=html, headline=headline, paragraphs=paragraphs)


def generated_site(name: str, pages: int, seed: int = 0, base_url: str = "",
                   start: int = 0) -> list[GeneratedPage]:
    """``pages`` article pages of the site ``name`` (numbered from ``start``, at ``base_url``,
    by default ``https://<name>.example``), its template around each one's article."""
    rng = random.Random(f"{name}/{seed}/{start}")
    base_url = base_url.rstrip("/") or f"https://{'-'.join(name.lower().split())}.example"
    others = [_sentence(rng).rstrip(".")[:80] for _ in range(12)]
    return [_page(name, base_url, start + number, rng, others) for number in range(pages)]
