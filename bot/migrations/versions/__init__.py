"""The migration scripts, oldest first (a package so the wheel ships them)."""
