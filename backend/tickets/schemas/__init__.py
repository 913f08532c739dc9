"""What the ticket endpoints read and answer."""
