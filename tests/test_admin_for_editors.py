"""Editors manage publishers, sources, sections and articles in the admin."""

import pytest

from broadsheet.readers.commands import editors_group
from broadsheet.readers.models import User
from broadsheet.sources.models import Publisher, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = User.objects.create_user("editor@example.com", "a long editor passphrase",
                                    is_staff=True)
    user.groups.add(editors_group())
    client.force_login(user)
    return user


@pytest.mark.parametrize("path", ["/admin/sources/publisher/", "/admin/sources/source/",
                                  "/admin/curation/section/", "/admin/articles/article/"])
def test_editor_sees_what_they_manage(editor, client, path):
    assert client.get(path).status_code == 200


def test_failing_source_shows_its_error_in_the_admin(editor, client):
    publisher = Publisher.objects.create(name="Broken Times")
    source = Source.objects.create(publisher=publisher, url="https://broken.example/feed",
                                   status=Source.Status.FAILING,
                                   last_error="HTTP 500 Internal Server Error")
    page = client.get(f"/admin/sources/source/{source.pk}/change/")
    assert "HTTP 500 Internal Server Error" in page.content.decode()
