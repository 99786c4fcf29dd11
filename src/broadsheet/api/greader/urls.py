"""The API's addresses, relative to a base: ``broadsheet.api.urls`` mounts them at the site
root, under ``/api/greader/`` and under ``/api/greader.php/``, the bases apps are told to use."""

from django.urls import URLPattern, path, re_path

from . import atom, edit, items, signin, subscriptions

# Apps join their base address and the path themselves, so a base that ends in "/" makes
# "//accounts/ClientLogin": the slashes after a base are as many as the app sends.
BASES = r"^(?:api/greader(?:\.php)?)?/+"


def routes(named: bool) -> list[URLPattern]:
    """The API's paths; only the site root's are named, so ``reverse`` gives those."""

    api = "reader/api/0/"
    found = [
        path("accounts/ClientLogin", signin.client_login, name="greader_client_login"),
        path(api + "token", signin.token, name="greader_token"),
        path(api + "user-info", signin.user_info, name="greader_user_info"),
        path(api + "subscription/list", subscriptions.subscription_list,
             name="greader_subscription_list"),
        path(api + "subscription/edit", subscriptions.subscription_edit,
             name="greader_subscription_edit"),
        path(api + "tag/list", subscriptions.tag_list, name="greader_tag_list"),
        path(api + "unread-count", subscriptions.unread_count,
             name="greader_unread_count"),
        path(api + "preference/stream/list", subscriptions.stream_prefs,
             name="greader_stream_prefs"),
        path(api + "stream/items/ids", items.stream_item_ids, name="greader_item_ids"),
        path(api + "stream/items/contents", items.stream_item_contents,
             name="greader_item_contents"),
        path(api + "stream/contents", items.stream_contents, name="greader_stream"),
        re_path(rf"^{api}stream/contents/(?P<stream_id>.+)$", items.stream_contents,
                name="greader_stream_contents"),
        path("reader/atom", atom.atom_stream, name="greader_atom"),
        path("reader/atom/", atom.atom_stream, name="greader_atom_reading_list"),
        re_path(r"^reader/atom/(?P<stream_id>.+)$", atom.atom_stream,
                name="greader_atom_stream"),
        path(api + "edit-tag", edit.edit_tag, name="greader_edit_tag"),
        path(api + "mark-all-as-read", edit.mark_all_as_read,
             name="greader_mark_all_as_read"),
    ]
    if not named:
        for pattern in found:
            pattern.name = pattern.pattern.name = None
    return found


urlpatterns = routes(named=True)
at_bases = routes(named=False)
