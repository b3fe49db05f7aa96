"""Progress reports (進捗状況報告書): one ``Report`` built per cycle (``build``), its PDF and Excel files
(``exports``) and its staff and public pages (``views``)."""
