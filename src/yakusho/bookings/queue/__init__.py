"""Queue tickets (整理券): the hall's kiosk and screen, the resident's phone page, the counter staff's
board. It shares nothing with the bookings but the app: ``models`` (its tables, imported by the
app's ``models``), ``services`` (issuing, the transition table, estimates), ``views`` and ``urls``
(public) and ``staff_urls``, ``metrics`` and ``panels`` (registered by ``setup.ready``), ``demo``."""
