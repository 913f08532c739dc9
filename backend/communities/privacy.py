"""Personal data of the communities' register: the grids a grid worker patrols."""

from __future__ import annotations

import marshmallow as ma

from backend.communities.models import GridWorker
from backend.core.privacy import PersonalData, Treatment, delete_rows, records, rows_of

F = ma.fields

PERSONAL_DATA = [
    PersonalData(
        key="grid_assignments",
        models=(GridWorker,),
        # An erased grid worker leaves their grids (their role is revoked with the account).
        treatment=Treatment.DELETE,
        export=rows_of(GridWorker.user_id, GridWorker.grid_id),
        field=records("ExportGridAssignment", grid_id=F.Integer()),
        forget=delete_rows(GridWorker.user_id),
    ),
]
