"""The local SQLite cache: schema, migrations, the event outbox. No Textual here."""
