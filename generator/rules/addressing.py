"""Rules: addressing."""
