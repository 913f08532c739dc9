"""Every model, imported in one place so the metadata is complete (Alembic, tests)."""

from backend.accounts import models as accounts_models
from backend.communities import models as communities_models
from backend.consultations import models as consultations_models
from backend.core import idempotency, scheduler
from backend.core.audit import models as audit_models
from backend.core.db import Base
from backend.core.notifications import models as notifications_models
from backend.core.storage import models as storage_models
from backend.core.tenancy import models as tenancy_models
from backend.core.wechat import models as wechat_models
from backend.scoring import models as scoring_models
from backend.tickets import models as tickets_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "audit_models",
    "communities_models",
    "consultations_models",
    "idempotency",
    "metadata",
    "notifications_models",
    "scheduler",
    "scoring_models",
    "tickets_models",
    "storage_models",
    "tenancy_models",
    "wechat_models",
]
