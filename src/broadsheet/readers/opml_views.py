"""Following, in and out of feed readers: the account page's OPML download and upload.

The work is the API's (``broadsheet.api.follows_opml``), so the page and ``/api/v1/opml`` follow
the same outlines and report the same way. An upload answers with a page listing what was
followed and every outline that matched nothing; a file refused whole changes nothing.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

TEMPLATE = "readers/opml_imported.html"


@require_GET
@login_required
def opml_export(request: HttpRequest) -> HttpResponse:
    from broadsheet.api.opml import opml_download

    return opml_download(request.user)


@never_cache
@require_POST
@login_required
def opml_import(request: HttpRequest) -> HttpResponse:
    from broadsheet.api.follows_opml import MAX_BYTES, OpmlImportError, import_opml

    too_big = f"The file is larger than {MAX_BYTES // 1024} KB. Nothing was changed."
    try:
        upload = request.FILES.get("opml")
    except (RequestDataTooBig, MultiPartParserError):
        return _refused(request, too_big, 413)
    if upload is None or not upload.size:
        return _refused(request, "Choose an OPML file to import. Nothing was changed.", 400)
    if upload.size > MAX_BYTES:
        return _refused(request, too_big, 413)
    try:
        report = import_opml(request.user, upload.read(MAX_BYTES + 1))
    except OpmlImportError as error:
        return _refused(request, f"{error.message} Nothing was changed.", error.status)
    return render(request, TEMPLATE, {"report": report, "summary": report.summary()})


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, TEMPLATE, {"error": message}, status=status)
