"""Regions, communities, buildings, units, households, grids, facilities, organisations."""


def blueprints():
    from backend.communities.routes import blp

    return [blp]
