"""The audit trail and feedback: tables, migrations, the spool and its writer, token ids."""
