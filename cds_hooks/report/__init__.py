"""What was decided, overridden and fixed, in money: table, CSV, JSON and HTML."""
