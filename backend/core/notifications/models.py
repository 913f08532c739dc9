"""Models of the notifications platform service."""
