"""The supervisor's queue: overdue cases first, then unassigned cases and cases
assigned to someone whose account is disabled, with the assign form at hand."""
