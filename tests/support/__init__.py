"""Helpers for the tests, imported from here (never from a conftest or another test module)."""
