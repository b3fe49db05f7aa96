"""Editions and their revision: where an edition stands (``editions``), drafts, edits and adoption
(``editing``), the differences between editions and a node's history (``diff``), and the staff pages
(``views``, ``forms``, ``urls``, namespace ``revisions``)."""
