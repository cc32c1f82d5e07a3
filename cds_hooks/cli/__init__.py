"""The `moldx-cds` command line and serving: every room's commands, and gunicorn."""
