"""Models of the audit platform service."""
