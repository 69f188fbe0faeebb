"""Layered settings for caseapp.

``defaults`` holds every setting with a safe default; ``development``,
``testing`` and ``production`` override a few. The instance folder's
``config.py`` and ``CASEAPP_*`` environment variables come on top
(see ``caseapp.settings``), and everything is validated once at start-up.
"""
