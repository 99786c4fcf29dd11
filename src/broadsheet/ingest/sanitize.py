"""Sanitize stage, the last before storage: an allowlist of safe HTML (nh3).

Contract:
- ``sanitize_html(html: str, base_url: str) -> str``: safe HTML. Relative links and images are made
  absolute against ``base_url``.
- ``html_to_text(html: str) -> str``: plain text, paragraphs separated by blank lines.
"""
