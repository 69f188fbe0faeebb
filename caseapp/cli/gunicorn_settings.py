"""gunicorn's configuration module for `caseapp serve`: deliberately empty.

Naming it keeps gunicorn from executing a ``gunicorn.conf.py`` found in the
working folder; every setting is on the command line in serve.py.
"""
