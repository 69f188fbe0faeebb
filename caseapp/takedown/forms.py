"""Forms of the takedown section: an item, a request, an outcome."""
from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField

from caseapp.cases.forms import CaseForm, radios, select_field
from caseapp.core.forms import DayField

from .models import CHANNELS, ITEM_KINDS, OUTCOMES, PLATFORMS
from .service import ItemData, OutcomeData, RequestData

PLATFORM_LABELS = {"facebook": "Facebook", "tiktok": "TikTok", "youtube": "YouTube",
                   "zalo": "Zalo", "instagram": "Instagram", "telegram": "Telegram",
                   "x": "X (Twitter)", "discord": "Discord", "other": _l("Other")}
KIND_LABELS = {"post": _l("A post, photo or video"), "account": _l("An account or page"),
               "group": _l("A group or channel"), "link": _l("Another link")}
CHANNEL_LABELS = {
    "platform_report": _l("The platform's report channel"),
    "trusted_flagger": _l("The platform's trusted-flagger contact"),
    "information_safety": _l("The authority in charge of information safety"),
    "police": _l("The police"),
}
OUTCOME_LABELS = {"removed": _l("Removed"), "restricted": _l("Restricted, not removed"),
                  "refused": _l("Refused"), "no_answer": _l("No answer")}
assert set(PLATFORM_LABELS) == set(PLATFORMS) and set(KIND_LABELS) == set(ITEM_KINDS)
assert set(CHANNEL_LABELS) == set(CHANNELS) and set(OUTCOME_LABELS) == set(OUTCOMES)


def _text(value) -> str:
    return (value or "").strip()


class ItemForm(CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "platform": _l("Choose the platform from the list."),
        "link": _l("Give the link or the account name of the content."),
    }

    platform = select_field(_l("Platform"), [("", _l("Choose…")), *PLATFORM_LABELS.items()])
    kind = radios(_l("What it is"), KIND_LABELS.items(), default="post")
    link = StringField(_l("Link or account name (never the content itself)"),
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    note = TextAreaField(_l("Note (optional)"), render_kw={"rows": 2})

    def to_data(self) -> ItemData:
        return ItemData(platform=self.platform.data or "", kind=self.kind.data or "",
                        link=_text(self.link.data), note=self.note.data or "")


class RequestForm(CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "item": _l("Choose the item from the list."),
        "channel": _l("Choose to whom the request was sent."),
        "sent_on": _l("Give the day the request was sent."),
    }
    FIELDS: ClassVar[dict[str, str]] = {"item_id": "item"}

    item = select_field(_l("Item"))
    channel = radios(_l("Sent to"), CHANNEL_LABELS.items())
    sent_on = DayField(_l("Day sent"))
    ticket = StringField(_l("Ticket or reference number (optional)"),
                         render_kw={"autocomplete": "off"})

    def to_data(self) -> RequestData:
        return RequestData(item_id=self.item.data or "", channel=self.channel.data or "",
                           sent_on=self.sent_on.data, ticket=_text(self.ticket.data))


class OutcomeForm(CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "outcome": _l("Choose the outcome."),
        "on": _l("Give the day of the outcome."),
    }
    FIELDS: ClassVar[dict[str, str]] = {"request": "request_id"}

    request_id = HiddenField()
    outcome = select_field(_l("Outcome"), [("", _l("Choose…")), *OUTCOME_LABELS.items()])
    on = DayField(_l("Day of the outcome"))

    def to_data(self) -> OutcomeData:
        return OutcomeData(request_id=self.request_id.data or "",
                           outcome=self.outcome.data or "", on=self.on.data)
