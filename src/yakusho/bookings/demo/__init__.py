"""The bookings app's demo data, kept out of the runtime modules: resources (``bookings``) and the
queues with their tickets of past days (``queues``)."""
