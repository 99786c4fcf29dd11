"""Web pages. Until the reader app lands, `/` lists the latest articles."""

from django.shortcuts import render

from broadsheet.articles.models import Article


def latest(request):
    articles = Article.objects.select_related("publisher").order_by("-published_at", "-id")[:100]
    return render(request, "web/latest.html", {"articles": articles})
