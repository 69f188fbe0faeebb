from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("serve", help="Run the production server (gunicorn).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@with_appcontext
def serve(host, port, workers):
    from gunicorn.app.base import BaseApplication

    app = current_app._get_current_object()

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            # Access logs carry URLs only; no query strings hold child data by design.
            self.cfg.set("accesslog", "-")

        def load(self):
            return app

    Server().run()
