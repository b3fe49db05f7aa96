"""The form designer: edit operations, publish checks and publishing (``services``) and its pages
(``views``, ``forms``, ``urls``, namespace ``designer``)."""
