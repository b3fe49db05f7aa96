"""Yakusho (役所): an open-source digital town hall."""
