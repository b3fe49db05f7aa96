"""Submissions: the transition table, messages and receipts (``services``), their files and PDF, the
resident's pages (``views``, ``urls``), the staff inbox (``inbox_views``, ``inbox_urls``,
``inbox_exports``), retention, metrics and the staff-home panel."""
