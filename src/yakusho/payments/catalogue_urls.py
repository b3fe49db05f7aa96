"""Placeholder: filled by the catalogue part."""

urlpatterns: list = []
