"""Demo data. Other apps add theirs by receiving ``demo_loaded`` (core imports none of them)."""

from django.dispatch import Signal

#: Sent by ``yakusho demo`` after the municipalities, departments and staff exist, inside the
#: same transaction. A receiver loads its app's demo data and returns a one-line summary.
demo_loaded = Signal()
