"""For you in the app: the page and the home box show the API's ranking with reasons; pages
report reading; saves and clicks from For you teach it; the reader removes or resets."""

from __future__ import annotations

import json
import re

import pytest
from api_support import make_reader
from django.test import Client
from django.urls import reverse
from for_you_support import build_newsroom

from broadsheet.curation import foryou
from broadsheet.curation.models import Fewer, Interest
from broadsheet.publishers.models import Read

pytestmark = pytest.mark.django_db


@pytest.fixture
def room():
    return build_newsroom()


def signed_in(reader) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    return client


def csrf(client: Client) -> str:
    client.get(reverse("for_you_learned"))
    return client.cookies["csrftoken"].value


def titles(html: str) -> list[str]:
    return re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a>', html)


def test_page_and_home_box_show_the_same_ranking_with_reasons(room):
    reader = make_reader("trial")
    for story in room.stories["Culture"][:4]:
        foryou_read(reader, room.leads[story.pk].pk)
    client = signed_in(reader)
    ranked = [item.article.title for item in foryou.for_you(reader, 30)]
    page = client.get(reverse("for_you")).content.decode()
    assert titles(page) == ranked
    assert "Because you read" in page
    assert 'href="/article/' in page and "?via=for-you" in page
    home = client.get(reverse("home")).content.decode()
    box = re.search(r'aria-labelledby="for-you">(.*?)</section>', home, re.S).group(1)
    assert titles(box) == ranked[:6]


def foryou_read(reader, article_id: int, seconds: int = 80) -> None:
    from broadsheet.curation.reading import report_read
    report_read(reader, article_id, seconds, True)


def test_an_article_page_reports_reading_through_the_beacon_form(room):
    reader = make_reader("active")
    client = signed_in(reader)
    lead = room.leads[room.stories["Business"][0].pk]
    page = client.get(f"/article/{lead.pk}/x/", follow=True).content.decode()
    assert f'data-reading="{lead.pk}"' in page
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    reports = [{"article_id": lead.pk, "seconds": 40, "finished": False},
               {"article_id": 999999, "seconds": 5}]
    response = client.post(reverse("reads"), {"csrfmiddlewaretoken": token,
                                              "reads": json.dumps(reports)})
    assert response.status_code == 200 and response.json() == {"stored": 1}
    client.post(reverse("reads"), {"csrfmiddlewaretoken": token, "reads": json.dumps(
        [{"article_id": lead.pk, "seconds": 25, "finished": True}])})
    read = Read.objects.get(user=reader, article_id=lead.pk)
    assert (read.seconds, read.finished, read.member) == (40, True, True)
    assert client.post(reverse("reads"), {"csrfmiddlewaretoken": token,
                                          "reads": "not json"}).status_code == 400
    assert client.post(reverse("reads"), {"reads": json.dumps(reports)}).status_code == 403
    assert Client().post(reverse("reads"), {"reads": "[]"}).status_code == 401


def test_a_visitor_page_carries_no_reading_report(room):
    lead = room.leads[room.stories["Business"][0].pk]
    page = Client().get(f"/article/{lead.pk}/x/", follow=True).content.decode()
    assert "data-reading" not in page and "reading.js" not in page


def test_saves_and_clicks_from_for_you_teach_it(room):
    reader = make_reader("trial")
    client = signed_in(reader)
    token = csrf(client)
    lead = room.leads[room.stories["Culture"][0].pk]
    response = client.post(reverse("save_toggle", args=[lead.pk]), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.content
    saved = Interest.objects.get(user=reader, kind="section", key="culture")
    other = room.leads[room.stories["Technology"][0].pk]
    client.get(f"/article/{other.pk}/x/?via=for-you", follow=True)
    clicked = Interest.objects.get(user=reader, kind="section", key="technology")
    assert saved.weight > clicked.weight > 0


def test_show_fewer_without_javascript_then_show_again_and_reset(room):
    reader = make_reader("trial")
    client = signed_in(reader)
    token = csrf(client)
    response = client.post(reverse("for_you_fewer"), {
        "csrfmiddlewaretoken": token, "kind": "publisher", "slug": "outlet-1",
        "next": "/for-you/"})
    assert response.status_code == 302 and response["Location"] == "/for-you/"
    assert all(i.publisher[0] != "outlet-1" for i in foryou.for_you(reader, 50))
    learned = client.get(reverse("for_you_learned")).content.decode()
    assert "Articles from Outlet 1" in learned
    client.post(reverse("for_you_forget"), {"csrfmiddlewaretoken": token, "what": "fewer",
                                            "kind": "publisher", "slug": "outlet-1"})
    assert not Fewer.objects.filter(user=reader).exists()
    assert client.post(reverse("for_you_fewer"), {"csrfmiddlewaretoken": token,
                                                  "kind": "section",
                                                  "slug": "nowhere"}).status_code == 400
    foryou_read(reader, room.leads[room.stories["Sport"][0].pk].pk)
    assert "You read Sport stories a lot" in client.get(reverse("for_you_learned")).content.decode()
    client.post(reverse("for_you_reset"), {"csrfmiddlewaretoken": token})
    assert not Interest.objects.filter(user=reader).exists()


def test_for_you_pages_ask_visitors_to_sign_in(room):
    for name in ("for_you", "for_you_learned"):
        response = Client().get(reverse(name))
        assert response.status_code == 302 and "/signin/" in response["Location"]
