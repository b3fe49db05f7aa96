"""The procedures app's demo data, kept out of the runtime modules: the demo procedures and forms
(``procedures``), the one-stop rules (``one_stop``), the counter visits of past days
(``counter_visits``, drawn in ``counter_scenarios``) and the synthetic catalogue of the benchmarks
(``synthetic``)."""
