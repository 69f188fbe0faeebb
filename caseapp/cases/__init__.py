"""Cases: intake to closure, scoped to the people assigned.

``models`` (tables), ``workflow`` (the one state machine), ``deadlines``,
``service`` (every change), ``queries`` (the one scoped query),
``reference_data`` (admin-editable lists), ``retention`` (crypto-shredding).
"""
