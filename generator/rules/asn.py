"""Rules: asn."""
