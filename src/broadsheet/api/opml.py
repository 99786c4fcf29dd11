"""A reader's follows as OPML in the JSON API, mounted at /api/v1/opml (token or session).

``GET`` downloads what the reader follows as OPML 2.0; ``POST`` takes a feed reader's OPML file,
as the request body or as the ``file`` field of a multipart form, follows what it recognises and
answers with what was followed, what already was and what was not found.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from . import schemas
from .auth import ReaderAuth, reader_of
from .follows_opml import MAX_BYTES, ImportReport, OpmlImportError, export_opml, import_opml

router = Router(tags=["follows"])
signed_in = ReaderAuth()
OPML_TYPE = "text/x-opml; charset=utf-8"
FILENAME = "broadsheet-following.opml"


class Followed(Schema):
    kind: str = Field(description="publisher | section | topic")
    slug: str = Field(description="The publisher's or section's slug, or the topic followed")
    name: str


class NotFound(Schema):
    title: str
    xml_url: str
    html_url: str
    reason: str = Field(description="Why nothing was followed for it")


class OpmlImported(Schema):
    summary: str = Field(description='In words, e.g. "Now following 3 more (2 publications, '
                                     '1 topic); 1 not found."')
    followed: list[Followed] = Field(description="Followed now")
    already_followed: list[Followed]
    not_found: list[NotFound] = Field(description="Outlines that match nothing here")


def opml_download(user) -> HttpResponse:
    """The reader's follows as an OPML file to save (never cached: it is theirs)."""
    response = HttpResponse(export_opml(user), content_type=OPML_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{FILENAME}"'
    response["Cache-Control"] = "private, no-store"
    return response


def report_out(report: ImportReport) -> dict:
    def targets(found):
        return [{"kind": t.kind, "slug": t.value, "name": t.name} for t in found]

    return {"summary": report.summary(), "followed": targets(report.followed),
            "already_followed": targets(report.already),
            "not_found": [vars(n) for n in report.not_found]}


def _uploaded(request: HttpRequest) -> bytes:
    """The OPML file's bytes, from a multipart ``file`` field or the raw body."""
    try:
        if request.content_type == "multipart/form-data":
            upload = request.FILES.get("file")
            if upload is None:
                raise HttpError(400, "Send the OPML file in a multipart field named 'file'.")
            if upload.size is not None and upload.size > MAX_BYTES:
                raise HttpError(413, f"The OPML file is larger than {MAX_BYTES // 1024} KB.")
            return upload.read(MAX_BYTES + 1)
        return request.body
    except RequestDataTooBig as error:
        raise HttpError(413, f"The OPML file is larger than {MAX_BYTES // 1024} KB.") from error
    except MultiPartParserError as error:
        raise HttpError(400, f"The multipart form could not be read: {error}") from error


@router.get("", response={401: schemas.Error}, auth=signed_in,
            summary="What the reader follows, as an OPML file",
            openapi_extra={"responses": {200: {"description": "OPML 2.0", "content": {
                "text/x-opml": {"schema": {"type": "string"}}}}}})
def get_opml(request: HttpRequest) -> HttpResponse:
    return opml_download(reader_of(request))


@router.post("", response={200: OpmlImported, 400: schemas.Error, 401: schemas.Error,
                           413: schemas.Error},
             auth=signed_in, summary="Follow what an OPML file lists",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/x-opml": {"schema": {"type": "string"}},
                 "multipart/form-data": {"schema": {"type": "object", "properties": {
                     "file": {"type": "string", "format": "binary"}}}}}}})
def post_opml(request: HttpRequest) -> dict:
    data = _uploaded(request)
    if not data.strip():
        raise HttpError(400, "Send an OPML file: as the request body, or in a multipart "
                             "field named 'file'.")
    try:
        return report_out(import_opml(reader_of(request), data))
    except OpmlImportError as error:
        raise HttpError(error.status, error.message) from error
