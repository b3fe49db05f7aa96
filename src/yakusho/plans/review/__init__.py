"""Yearly reviews (PDCA): opening cycles, the transition table and edits (``services``), their staff
pages (``views``, ``forms``, ``urls``, namespace ``reviews``, which also mounts the dashboards and reports),
reminders and the demo reviews."""
