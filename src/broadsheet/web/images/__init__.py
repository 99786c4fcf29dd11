"""The site's own image proxy: readers' browsers load publishers' pictures from this site.

A page that shows an image straight from a publisher's server tells that server (and any third
party it loads from) who reads what. Pages therefore point at ``/img/<signature>/<encoded URL>``
(``signing.py``); the view (``view.py``) checks the signature, and ``proxy.py`` fetches the
picture once through the safe fetcher, checks by its bytes that it is an image (``kinds.py``)
and keeps it on disk under the home (``store.py``) for every later reader.
"""
