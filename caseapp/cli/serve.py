from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


def _dispose_inherited_connections(_server, _worker):
    """Each worker opens its own database connections (never share a socket across fork)."""
    from caseapp.extensions import db

    with app_for_fork.app_context():
        db.engine.dispose(close=False)


app_for_fork = None


@click.command("serve", help="Run the production server (gunicorn).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@with_appcontext
def serve(host, port, workers):
    from gunicorn.app.base import BaseApplication

    global app_for_fork
    app = app_for_fork = current_app._get_current_object()

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            # Access logs carry URLs only; no query strings hold child data by design.
            self.cfg.set("accesslog", "-")
            self.cfg.set("post_fork", _dispose_inherited_connections)

        def load(self):
            return app

    Server().run()
