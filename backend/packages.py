"""The app's packages and the layers they stand in. A leaf: it imports nothing, so anything may
read it (the app factory, the scheduler, the metrics and privacy registries, the layer test).

Layers, bottom up; within a layer, units in order. A unit is one or more modules or packages,
named by their dotted paths (the longest name matching a module is its unit). A module imports
only from its own unit or from one listed before it, function-level imports included:
`tests/test_layers.py` walks every import of backend/ and fails on any other.
"""

LAYERS: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("infrastructure", (
        # the plain tools every layer uses, free to use one another
        ("backend.config", "backend.packages", "backend.extensions", "backend.core",
         "backend.core.db", "backend.core.errors", "backend.core.auth", "backend.core.crypto",
         "backend.core.masking", "backend.core.schemas", "backend.core.pagination",
         "backend.core.docs", "backend.core.logging", "backend.core.request_context",
         "backend.core.ratelimit", "backend.core.spreadsheets"),
    )),
    ("tenancy", (
        ("backend.core.tenancy",),
        # who may take an action in a community, a region or the system
        ("backend.core.permissions",),
    )),
    ("platform services", (
        ("backend.core.scheduler",),
        ("backend.core.metrics",),
        ("backend.core.privacy",),
        ("backend.core.audit",),
        ("backend.core.wechat",),
        ("backend.core.notifications",),
        ("backend.core.storage",),
        ("backend.core.idempotency",),
    )),
    ("accounts", (
        # the register of places and organisations, then the people holding roles in them
        ("backend.communities",),
        ("backend.accounts",),
    )),
    ("domains", (
        ("backend.consultations",),
        ("backend.tickets",),
    )),
    ("scoring and reporting", (
        ("backend.scoring",),
    )),
    ("application", (
        ("backend", "backend.models", "backend.cli", "backend.demo", "backend.migrate"),
    )),
)

# Platform services, then the domains, in layer order. Each package exposes `blueprints()` and
# may expose `root_blueprints()` (mounted outside /api/v1) and `init_app(app)`; its `jobs.py`
# and `metrics.py` are collected from here, and its models are listed in backend/models.py.
PACKAGES = ("core.wechat", "core.notifications", "core.audit", "core.storage", "communities",
            "accounts", "consultations", "tickets", "scoring")
