"""Open311 GeoReport v2 over our tickets, at /open311/v2 (outside /api/v1).

`routes.py` translates HTTP (query and form arguments, JSON or XML by the URL's suffix),
`services.py` holds the rules (which community, which key, what the public may read),
`formats.py` the two wire formats. The api keys are managed in our own API
(`tickets/services/keys.py`).
"""
