"""Placeholder: filled by the till part."""

urlpatterns: list = []
