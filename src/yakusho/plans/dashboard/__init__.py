"""Review dashboards: a cycle's and a consortium's figures (``figures``) and their pages (``views``)."""
