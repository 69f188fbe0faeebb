"""The e-mail digest: a person's unread notices since the last digest, as plain
text (kinds and case references, never child data), through the SMTP server
the instance is configured with (``SMTP_HOST``...). Sent by
``caseapp notifications digest``, run from cron (daily is enough: each person
gets it at the frequency they chose)."""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.extensions import db
from caseapp.i18n import format_moment, product_name

from .labels import KIND_LABELS, URGENT
from .models import Notification, NotificationSettings

log = logging.getLogger("caseapp.notifications")

EVERY = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


@dataclass(frozen=True)
class DigestResult:
    sent: int
    skipped: int


def _due(settings: NotificationSettings, now: datetime) -> bool:
    every = EVERY.get(settings.digest)
    return every is not None and bool(settings.email) and (
        settings.last_digest_at is None or now - settings.last_digest_at >= every - timedelta(
            minutes=30))


def _body(user: User, items: list[Notification]) -> str:
    items = sorted(items, key=lambda n: (n.kind not in URGENT, n.created_at))
    lines = [_("Unread notifications for %(name)s:", name=user.display_name or user.username),
             ""]
    for n in items:
        label = str(KIND_LABELS.get(n.kind, n.kind))
        lines.append(f"- {format_moment(n.created_at)} · {label} "
                     f"{n.case_reference or ''}".rstrip())
    lines += ["", _("Open the app to see them. This e-mail holds no child's data, and none "
                    "should ever be sent by e-mail.")]
    return "\n".join(lines)


def _send(messages: list[EmailMessage]) -> list[bool]:
    """Send each message on one connection; a message the server refuses (a bad
    address) does not stop the others. Which were taken, in order."""
    config = current_app.config
    host, port = config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25)
    if config.get("SMTP_SSL"):
        server = smtplib.SMTP_SSL(host, port, timeout=30,
                                  context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=30)
    with server:
        if config.get("SMTP_STARTTLS"):
            server.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            server.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        taken = []
        for message in messages:
            try:
                server.send_message(message)
                taken.append(True)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                    smtplib.SMTPSenderRefused, smtplib.SMTPNotSupportedError):
                log.warning("the mail server refused one digest")
                taken.append(False)
    return taken


def send_digests(now: datetime | None = None) -> DigestResult:
    """One e-mail per person whose digest is due and who has unread notices.
    Commits the new "last sent" times once the server took the messages."""
    now = now or clock.now()
    if not current_app.config.get("SMTP_HOST"):
        raise RuntimeError("SMTP_HOST is not set: no digest can be sent")
    messages, sent_to, skipped = [], [], 0
    for settings in db.session.scalars(select(NotificationSettings).where(
            NotificationSettings.digest != "none")):
        if not _due(settings, now):
            continue
        user = db.session.get(User, settings.user_id)
        if user is None or not user.is_enabled:
            skipped += 1
            continue
        since = settings.last_digest_at or datetime.min.replace(tzinfo=now.tzinfo)
        items = list(db.session.scalars(select(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None),
            Notification.created_at > since)))
        if not items:
            skipped += 1
            continue
        with force_locale(user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")):
            message = EmailMessage()
            message["Subject"] = _("%(product)s: %(n)d unread notifications",
                                   product=product_name(short=True), n=len(items))
            message["From"] = current_app.config.get("MAIL_FROM") or "caseapp@localhost"
            message["To"] = settings.email
            message.set_content(_body(user, items))
        messages.append(message)
        sent_to.append(settings)
    taken = _send(messages) if messages else []
    for settings, ok in zip(sent_to, taken, strict=True):
        if ok:
            settings.last_digest_at = now
    db.session.commit()
    return DigestResult(sum(taken), skipped + taken.count(False))


def settings_of(user) -> NotificationSettings:
    found = db.session.get(NotificationSettings, user.id)
    return found or NotificationSettings(user_id=user.id, digest="none")


def save_settings(user, email: str, digest: str) -> NotificationSettings:
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    email = (email or "").strip()
    if digest not in ("none", *EVERY):
        raise ValueError(_("Choose how often: never, daily or weekly."))
    if email:
        try:
            Address(addr_spec=email)
        except (ValueError, HeaderParseError, IndexError):
            raise ValueError(_("This is not an e-mail address.")) from None
        local, _at, domain = email.rpartition("@")
        # Plain addresses only: no address literal, no non-ASCII (a mail server
        # without SMTPUTF8 would refuse it), a domain with a dot.
        if (len(email) > 254 or not local or not email.isascii() or "[" in domain
                or "." not in domain.strip(".")):
            raise ValueError(_("This is not an e-mail address."))
    if digest != "none" and not email:
        raise ValueError(_("Give the e-mail address the digest goes to."))
    settings = db.session.get(NotificationSettings, user.id)
    if settings is None:
        settings = NotificationSettings(user_id=user.id)
        db.session.add(settings)
    settings.email, settings.digest = email or None, digest
    return settings
