"""Request and response shapes of consultations, one module per part of the API."""
