"""The procedure catalogue: search (``search``), procedure files (``files``, ``schema``), national
reference data (``reference``), deadlines and current forms (``services``), the public pages
(``views``, ``urls``, namespace ``procedures``) and the staff pages (``staff_views``, ``staff_urls``)."""
