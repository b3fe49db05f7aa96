"""Review dashboards: a cycle's figures and the KPI tallies (``cycle``), a consortium's
(``consortium``), and their pages (``views``)."""
