"""JSON API under /api/v1 (session cookie plus X-CSRFToken header for the web client)."""
