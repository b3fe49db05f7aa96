"""Placeholder: filled by the close part."""

urlpatterns: list = []
