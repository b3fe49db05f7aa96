"""Core's views, one module per area (public, accounts, home, departments, calendar, audit, consortium)."""
