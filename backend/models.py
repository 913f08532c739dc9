"""Every domain's models, imported in one place so the metadata is complete (Alembic, tests)."""

from backend.accounts import models as accounts_models
from backend.communities import models as communities_models
from backend.core.db import Base

metadata = Base.metadata

__all__ = ["accounts_models", "communities_models", "metadata"]
