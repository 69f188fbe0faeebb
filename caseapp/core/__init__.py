"""Cross-cutting web concerns: security headers, error pages, home and help."""
