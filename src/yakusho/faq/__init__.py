"""Resident FAQ: the knowledge base, Japanese search over it (core.textsearch), its public pages and
API (docs/faq.md)."""
