"""A package, so its modules import as tests.audit.* (no clash with the top-level
``audit`` library or with other test folders) and the checkout root is importable."""
