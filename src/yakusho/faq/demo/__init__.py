"""The FAQ's demo data (``demo_loaded`` receivers): the knowledge base of ``data/faq/`` and the
questions demo residents left for staff (:mod:`.knowledge`), and a log of questions asked
(:mod:`.queries`)."""
