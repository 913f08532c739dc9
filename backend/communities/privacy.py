"""Personal data of the communities' register: the grids a grid worker patrols."""

from __future__ import annotations

from backend.communities.models import GridWorker
from backend.core.privacy import PersonalData, Treatment, delete_rows, rows_of, shown

PERSONAL_DATA = [
    PersonalData(
        key="grid_assignments",
        models=(GridWorker,),
        # An erased grid worker leaves their grids (their role is revoked with the account).
        treatment=Treatment.DELETE,
        export=rows_of(GridWorker.user_id, GridWorker.grid_id),
        field=shown(GridWorker, "grid_id"),
        forget=delete_rows(GridWorker.user_id),
    ),
]
