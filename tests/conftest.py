"""Shared fixtures: the real HTTP server on 127.0.0.1 (``http_server``) comes from netfixture."""

from netfixture import http_server  # noqa: F401 - a fixture, used by name
