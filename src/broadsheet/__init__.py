"""Broadsheet: a self-hostable premium news aggregator."""

__version__ = "0.1.0"
