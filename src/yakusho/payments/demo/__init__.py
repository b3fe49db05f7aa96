"""Demo data of payments: the demo towns' fee catalogues (``catalogue``)."""
