"""The merchant's editable settings, kept in the database (the console edits them)."""
