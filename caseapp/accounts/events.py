"""What happened to an account, told to whoever listens (the notifications feature).

Accounts sit below the features in the layers, so they cannot name the
notifications table; a feature subscribes here instead. Events carry user
ids only, never a name or anything about a child.

Kinds: "account_change_request" (a change waits for you to confirm it),
"account_change_decided" (your request was confirmed or declined),
"account_changed" (an account in your unit was created or changed).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

Listener = Callable[[str, list[str]], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def publish(kind: str, user_ids: Iterable[str | None]) -> None:
    recipients = sorted({uid for uid in user_ids if uid})
    if not recipients:
        return
    for listener in _listeners:
        listener(kind, recipients)
