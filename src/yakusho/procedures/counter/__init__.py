"""The no-writing counter (書かない窓口): visits, prefill and one-stop (``services``), its pages
(``views``, ``forms``, ``urls``), the paper forms' PDF, metrics, the demo, and the card readers
(``readers``)."""
