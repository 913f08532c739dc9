"""HTTP for tickets: each module one blueprint."""


def blueprints():
    from backend.tickets.routes import flow, keys, stats, tickets

    return [tickets.blp, flow.blp, stats.blp, keys.blp]
