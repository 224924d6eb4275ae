"""Small shared utilities every layer may import: atomic file writes, the manifest table, seeding."""
