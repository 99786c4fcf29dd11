"""URL normalisation: one canonical URL per article.

Contract:
- ``canonical_url(url: str, declared: str = "") -> str``: the declared canonical (rel=canonical,
  og:url) when it is a plausible canonical for ``url``; otherwise ``url``; either way normalised.
- ``normalize_url(url: str) -> str``: lower-case scheme and host, no default port, no fragment,
  tracking parameters removed (utm_*, fbclid, gclid, ...), remaining query sorted, trailing slash
  normalised.
"""
