"""axe-core finds no serious or critical accessibility problems on the main pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import article_path, close_quietly, without_reading_reports
from playwright.sync_api import Browser, Page

SERIOUS = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map((node) => node.target.join(" ")),
  }));
}"""


def serious_violations(page: Page) -> list[dict]:
    """axe's findings; axe is loaded as an init script, since the site's Content-Security-Policy
    refuses a script tag added to the page."""
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['targets'])}"
                     for v in violations)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_pages_have_no_serious_violations(browser: Browser, site: str, newsroom,
                                               axe_script: Path, scheme: str):
    pages = {
        "home": "/",
        "article": article_path(newsroom.lead),
        "search": "/search?q=turbines",
        "sign-up": "/account/signup/",
    }
    ctx = without_reading_reports(browser.new_context(base_url=site, color_scheme=scheme))
    try:
        page = ctx.new_page()
        page.add_init_script(path=str(axe_script))
        found = {}
        for name, path in pages.items():
            response = page.goto(path)
            assert response is not None and response.ok, f"{name}: {path} answered badly"
            violations = serious_violations(page)
            if violations:
                found[name] = describe(violations)
    finally:
        close_quietly(ctx)
    assert not found, "\n\n".join(f"{name} ({scheme}):\n{text}" for name, text in found.items())
