"""Flask integration: load the key ring at start-up, one key scope per request."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable

from flask import Flask, current_app, g, has_app_context

from .errors import KeyRingError, KeysMissing
from .keyring import KeyRing, load_keyring
from .scope import KeyScope, _current

EXTENSION_KEY = "caseapp_keys"
CONFIG_KEY = "CASEAPP_KEYRING"
_SCOPE_TOKEN = "_caseapp_key_scope_token"

log = logging.getLogger(__name__)


def init_app(app: Flask, *, require_keys: bool = True) -> None:
    """Load the key ring and open a key scope around every request.

    The key ring is ``app.config["CASEAPP_KEYRING"]`` when that holds a
    :class:`KeyRing` (tests inject one), else it comes from ``CASEAPP_KEYS``
    or ``<app.instance_path>/keys.json`` (:func:`load_keyring`). Missing keys
    raise :class:`KeysMissing` here, at start-up, telling to run
    ``caseapp keys init`` -- unless ``require_keys=False`` (for commands that
    create the keys), in which case requests fail with it instead.
    """
    injected = app.config.get(CONFIG_KEY)
    if injected is not None and not isinstance(injected, KeyRing):
        raise KeyRingError(f"{CONFIG_KEY} must hold a KeyRing")
    keyring: KeyRing | None = injected
    if keyring is None:
        try:
            keyring = load_keyring(app.instance_path)
        except KeysMissing:
            if require_keys:
                raise
            keyring = None
    app.extensions[EXTENSION_KEY] = keyring
    # Remembered so a process can pick up a version added by `caseapp keys rotate`.
    app.extensions[EXTENSION_KEY + ".source"] = "config" if injected is not None else "load"

    @app.before_request
    def _open_key_scope() -> None:
        keyring_now = current_keyring()
        token = _current.set(KeyScope(keyring_now, reload=_app_reloader(app)))
        setattr(g, _SCOPE_TOKEN, token)

    @app.teardown_request
    def _close_key_scope(exc: BaseException | None) -> None:
        token = g.pop(_SCOPE_TOKEN, None)
        if token is None:
            return
        scope = _current.get()
        if scope is not None:
            scope.close()
        try:
            _current.reset(token)
        except ValueError:  # a different context (should not happen under Flask 3)
            _current.set(None)


def current_keyring(app: Flask | None = None) -> KeyRing:
    """The running app's key ring (raises KeysMissing if it has none)."""
    if app is None:
        if not has_app_context():
            raise KeysMissing("no Flask app context: pass a KeyRing explicitly")
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    keyring = app.extensions.get(EXTENSION_KEY)
    if keyring is None:
        raise KeysMissing("no encryption keys loaded; run `caseapp keys init` "
                          "(or set CASEAPP_KEYS) and restart")
    return keyring


def reload_keyring(app: Flask) -> KeyRing | None:
    """Re-read the key ring from its source (file or CASEAPP_KEYS).

    Called when a data key names a KEK version this process does not know yet
    (another process rotated). An injected key ring is never replaced.
    """
    if app.extensions.get(EXTENSION_KEY + ".source") == "config":
        return None
    try:
        fresh = load_keyring(app.instance_path, os.environ)
    except KeyRingError:
        log.warning("key ring reload failed")
        return None
    app.extensions[EXTENSION_KEY] = fresh
    log.info("key ring reloaded: %r", fresh)  # repr shows version numbers only
    return fresh


def _app_reloader(app: Flask | None = None) -> Callable[[], KeyRing | None] | None:
    if app is None:
        if not has_app_context():
            return None
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    return lambda: reload_keyring(app)
