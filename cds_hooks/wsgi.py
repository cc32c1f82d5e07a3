"""The WSGI application built from the MOLDX_CDS_* settings, for a bare gunicorn (see
cds_hooks/gunicorn_conf.py) or any other WSGI server."""

from cds_hooks.service.app import create_app

app = create_app()
