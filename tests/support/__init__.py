"""Builders and helpers the tests share. Tests import them from here, never from a conftest
or another test module."""
