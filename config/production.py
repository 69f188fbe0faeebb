"""Production: the defaults are already strict; this file only names the mode."""

ENV = "production"
