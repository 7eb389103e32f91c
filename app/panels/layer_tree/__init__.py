"""The layer tree panel and its context menu."""
