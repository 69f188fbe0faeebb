"""What the unit codes say on screens and in reports."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SCHOOL_LABELS = {
    "": _l("Not a school"),
    "primary": _l("Primary school (Liên đội)"),
    "lower_secondary": _l("Lower secondary school (Liên đội)"),
    "upper_secondary": _l("Upper secondary school (Đoàn trường)"),
    "vocational": _l("Vocational/continuing education centre"),
    "other": _l("Other school"),
}
