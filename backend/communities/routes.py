"""HTTP for regions, communities and their registers. Views translate; services decide."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.communities import schemas as s
from backend.communities import services
from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.core.pagination import SelectPage

blp = Blueprint("communities", __name__, description="社区、楼栋、房屋、网格、设施与服务单位")

PAGE = {"page_size": 20, "max_page_size": 100}


@blp.route("/regions")
class Regions(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.RegionQuerySchema, location="query")
    @blp.response(200, s.RegionSchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401)
    def get(self, filters):
        """List regions (province › city › district › street)"""
        return services.list_regions(actor=current_actor(), filters=filters)

    @blp.arguments(s.RegionCreateSchema)
    @blp.response(201, s.RegionSchema)
    @errors(401, 403, 404, 409)
    def post(self, data):
        """Add a region (system admin)"""
        return services.create_region(actor=current_actor(), data=data)


@blp.route("/communities")
class Communities(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.CommunityQuerySchema, location="query")
    @blp.response(200, s.CommunitySchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401, 404)
    def get(self, filters):
        """Find communities by name or street"""
        return services.list_communities(actor=current_actor(), filters=filters)

    @blp.arguments(s.CommunityCreateSchema)
    @blp.response(201, s.CommunityDetailSchema)
    @errors(401, 403, 404, 409)
    def post(self, data):
        """Register a community under a street (system admin or that street's admin)"""
        return services.create_community(actor=current_actor(), data=data)


@blp.route("/communities/<int:community_id>")
class CommunityById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.CommunityDetailSchema)
    @errors(401, 404)
    def get(self, community_id):
        """One community with its buildings and units"""
        return services.get_community(actor=current_actor(), community_id=community_id)

    @blp.arguments(s.CommunityUpdateSchema)
    @blp.response(200, s.CommunityDetailSchema)
    @errors(401, 403, 404)
    def patch(self, changes, community_id):
        """Correct the community's name, address or time zone (committee)"""
        return services.update_community(
            actor=current_actor(), community_id=community_id, changes=changes
        )


@blp.route("/communities/<int:community_id>/buildings")
class Buildings(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.BuildingSchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=200)
    @errors(401, 404)
    def get(self, community_id):
        """The community's buildings with their units"""
        return services.list_buildings(actor=current_actor(), community_id=community_id)

    @blp.arguments(s.BuildingCreateSchema)
    @blp.response(201, s.BuildingSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id):
        """Add a building, optionally with its units (committee)"""
        return services.create_building(
            actor=current_actor(), community_id=community_id, data=data
        )


@blp.route("/communities/<int:community_id>/buildings/<int:building_id>")
class BuildingById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.BuildingSchema)
    @errors(401, 404)
    def get(self, community_id, building_id):
        """One building with its units"""
        return services.get_building(
            actor=current_actor(), community_id=community_id, building_id=building_id
        )

    @blp.arguments(s.BuildingUpdateSchema)
    @blp.response(200, s.BuildingSchema)
    @errors(401, 403, 404, 409)
    def patch(self, changes, community_id, building_id):
        """Correct a building (committee)"""
        return services.update_building(
            actor=current_actor(),
            community_id=community_id,
            building_id=building_id,
            changes=changes,
        )

    @blp.response(204)
    @errors(401, 403, 404, 409)
    def delete(self, community_id, building_id):
        """Remove an empty building entered by mistake (committee)"""
        services.delete_building(
            actor=current_actor(), community_id=community_id, building_id=building_id
        )


@blp.route("/communities/<int:community_id>/buildings/<int:building_id>/units")
class Units(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.UnitCreateSchema)
    @blp.response(201, s.UnitSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, building_id):
        """Add a unit to a building (committee)"""
        return services.create_unit(
            actor=current_actor(), community_id=community_id, building_id=building_id, data=data
        )


@blp.route("/communities/<int:community_id>/units/<int:unit_id>")
class UnitById(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.UnitCreateSchema)
    @blp.response(200, s.UnitSchema)
    @errors(401, 403, 404, 409)
    def patch(self, changes, community_id, unit_id):
        """Rename a unit (committee)"""
        return services.update_unit(
            actor=current_actor(), community_id=community_id, unit_id=unit_id, changes=changes
        )

    @blp.response(204)
    @errors(401, 403, 404, 409)
    def delete(self, community_id, unit_id):
        """Remove an empty unit (committee)"""
        services.delete_unit(actor=current_actor(), community_id=community_id, unit_id=unit_id)


@blp.route("/communities/<int:community_id>/households")
class Households(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.HouseholdQuerySchema, location="query")
    @blp.response(200, s.HouseholdSchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=500)
    @errors(401, 403, 404)
    def get(self, filters, community_id):
        """The household register (committee, grid workers, street)"""
        return services.list_households(
            actor=current_actor(), community_id=community_id, filters=filters
        )

    @blp.arguments(s.HouseholdCreateSchema)
    @blp.response(201, s.HouseholdSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id):
        """Register a household (committee)"""
        return services.create_household(
            actor=current_actor(), community_id=community_id, data=data
        )


@blp.route("/communities/<int:community_id>/households/import")
class HouseholdImport(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.HouseholdImportSchema, location="files")
    @blp.response(200, s.ImportSummarySchema)
    @errors(401, 403, 404)
    def post(self, files, community_id):
        """Import the household register from CSV, all or nothing (committee)"""
        return services.import_households(
            actor=current_actor(), community_id=community_id, content=files["file"].read()
        )


@blp.route("/communities/<int:community_id>/households/<int:household_id>")
class HouseholdById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.HouseholdSchema)
    @errors(401, 403, 404)
    def get(self, community_id, household_id):
        """One household"""
        return services.get_household(
            actor=current_actor(), community_id=community_id, household_id=household_id
        )

    @blp.arguments(s.HouseholdUpdateSchema)
    @blp.response(200, s.HouseholdSchema)
    @errors(401, 403, 404, 409)
    def patch(self, changes, community_id, household_id):
        """Correct a household's room, unit, area or owner (committee)"""
        return services.update_household(
            actor=current_actor(),
            community_id=community_id,
            household_id=household_id,
            changes=changes,
        )

    @blp.response(204)
    @errors(401, 403, 404, 409)
    def delete(self, community_id, household_id):
        """Remove a household nobody has claimed (committee)"""
        services.delete_household(
            actor=current_actor(), community_id=community_id, household_id=household_id
        )


@blp.route("/communities/<int:community_id>/grids")
class Grids(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.GridSchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401, 403, 404)
    def get(self, community_id):
        """The community's grids with their buildings and workers (staff)"""
        return services.list_grids(actor=current_actor(), community_id=community_id)

    @blp.arguments(s.GridCreateSchema)
    @blp.response(201, s.GridSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id):
        """Draw a grid (committee)"""
        return services.create_grid(actor=current_actor(), community_id=community_id, data=data)


@blp.route("/communities/<int:community_id>/grids/<int:grid_id>")
class GridById(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.GridUpdateSchema)
    @blp.response(200, s.GridSchema)
    @errors(401, 403, 404, 409)
    def patch(self, changes, community_id, grid_id):
        """Change a grid's name, buildings or workers (committee)"""
        return services.update_grid(
            actor=current_actor(), community_id=community_id, grid_id=grid_id, changes=changes
        )

    @blp.response(204)
    @errors(401, 403, 404, 409)
    def delete(self, community_id, grid_id):
        """Remove a grid (committee)"""
        services.delete_grid(actor=current_actor(), community_id=community_id, grid_id=grid_id)


@blp.route("/communities/<int:community_id>/facilities")
class Facilities(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.FacilityQuerySchema, location="query")
    @blp.response(200, s.FacilitySchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401, 404)
    def get(self, filters, community_id):
        """The facility register the complete-community items are scored on"""
        return services.list_facilities(
            actor=current_actor(), community_id=community_id, filters=filters
        )

    @blp.arguments(s.FacilityCreateSchema)
    @blp.response(201, s.FacilitySchema)
    @errors(401, 403, 404)
    def post(self, data, community_id):
        """Register a facility (committee)"""
        return services.create_facility(
            actor=current_actor(), community_id=community_id, data=data
        )


@blp.route("/communities/<int:community_id>/facilities/<int:facility_id>")
class FacilityById(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.FacilityUpdateSchema)
    @blp.response(200, s.FacilitySchema)
    @errors(401, 403, 404)
    def patch(self, changes, community_id, facility_id):
        """Correct a facility (committee)"""
        return services.update_facility(
            actor=current_actor(),
            community_id=community_id,
            facility_id=facility_id,
            changes=changes,
        )

    @blp.response(204)
    @errors(401, 403, 404, 409)
    def delete(self, community_id, facility_id):
        """Remove a facility (committee)"""
        services.delete_facility(
            actor=current_actor(), community_id=community_id, facility_id=facility_id
        )


@blp.route("/organisations")
class Organisations(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.OrganisationQuerySchema, location="query")
    @blp.response(200, s.OrganisationSchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401)
    def get(self, filters):
        """Property companies, design institutes and departments"""
        return services.list_organisations(actor=current_actor(), filters=filters)

    @blp.arguments(s.OrganisationCreateSchema)
    @blp.response(201, s.OrganisationSchema)
    @errors(401, 403, 409)
    def post(self, data):
        """Register an organisation (system admin)"""
        return services.create_organisation(actor=current_actor(), data=data)


@blp.route("/communities/<int:community_id>/service-areas")
class ServiceAreas(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.ServiceAreaSchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401, 404)
    def get(self, community_id):
        """Which organisations serve the community, and which buildings"""
        return services.list_service_areas(actor=current_actor(), community_id=community_id)


@blp.route("/communities/<int:community_id>/service-areas/<int:organisation_id>")
class ServiceAreaByOrganisation(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.ServiceAreaSetSchema)
    @blp.response(200, s.ServiceAreaSchema)
    @errors(401, 403, 404)
    def put(self, data, community_id, organisation_id):
        """Say the organisation serves this community or some of its buildings (committee)"""
        return services.set_service_area(
            actor=current_actor(),
            community_id=community_id,
            organisation_id=organisation_id,
            building_ids=data["building_ids"],
        )

    @blp.response(204)
    @errors(401, 403, 404)
    def delete(self, community_id, organisation_id):
        """The organisation no longer serves this community (committee)"""
        services.set_service_area(
            actor=current_actor(),
            community_id=community_id,
            organisation_id=organisation_id,
            building_ids=None,
        )
