"""How decisions reach people and systems: the CDS Hooks service over HTTP, and its CLI."""
