"""Editions and their revision: drafts, edits, adoption and the differences between editions
(``services``), and the staff pages (``views``, ``forms``, ``urls``, namespace ``revisions``)."""
