"""The app's side of the audit log, low in the layers so every layer can use it.

``writer``: :func:`~caseapp.auditing.writer.record`, the one way an entry is
written (who, from where, which unit), and the log's first entry.
``reads``: the few facts other layers read back from the log (counts for rate
limits, who viewed a case, whether a logged fact is genuine), so no other
package queries the audit table. ``integrity``: rows whose MAC fails, treated
as absent and reported. The log's pages, checkpoints and verifier are the
``auditlog`` feature, higher up.
"""
