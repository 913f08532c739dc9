"""HTTP for photos: upload into a community, read by a signed link."""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint
from werkzeug.exceptions import RequestEntityTooLarge

from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.core.errors import handle_domain_error
from backend.core.storage import schemas as s
from backend.core.storage import services

blp = Blueprint("photos", __name__, description="照片上传与读取")

UPLOAD_ENDPOINT = "photos.Photos"
# Room for the multipart boundary and part headers around the photo itself.
MULTIPART_OVERHEAD = 16 * 1024


def allow_photo_bodies() -> None:
    """before_request (app-wide): a photo upload may carry MAX_PHOTO_BYTES, not the app's smaller
    MAX_CONTENT_LENGTH. A larger Content-Length is refused before anything is read; a chunked
    body is cut off once it passes the limit."""
    if request.endpoint == UPLOAD_ENDPOINT:
        request.max_content_length = current_app.config["MAX_PHOTO_BYTES"] + MULTIPART_OVERHEAD


@blp.errorhandler(RequestEntityTooLarge)
def _photo_body_too_large(_error):
    return handle_domain_error(services.too_large())


@blp.route("/communities/<int:community_id>/photos")
class Photos(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.PhotoUploadSchema, location="files")
    @blp.response(201, s.PhotoSchema)
    @errors(401, 403, 404, 413, 422)
    def post(self, files, community_id):
        """Upload a photo (multipart field `file`) to use within a day, e.g. in a ticket (anyone with a role in the community)"""
        return services.upload_photo(
            actor=current_actor(), community_id=community_id, data=files["file"].read()
        )


@blp.route("/photos/<key>")
class PhotoByKey(MethodView):
    @blp.doc(security=[])
    @blp.arguments(s.PhotoLinkSchema, location="query", as_kwargs=True)
    @blp.response(200, s.BINARY, content_type="image/jpeg", description="The photo's bytes")
    @blp.alt_response(
        200,
        schema=s.BINARY,
        content_type="image/png",
        description="The photo's bytes",
        success=True,
    )
    @blp.alt_response(
        200,
        schema=s.BINARY,
        content_type="image/webp",
        description="The photo's bytes",
        success=True,
    )
    @errors(403, 404, 422)
    def get(self, key, expires=None, signature=None):
        """Read a photo by the signed link the API showed (no token: the link is the permission, until it expires)"""
        data, content_type, left = services.read_photo(
            key=key, expires=expires, signature=signature
        )
        return Response(
            data,
            content_type=content_type,
            headers={
                # Not for shared caches, and never kept past the link's own life.
                "Cache-Control": f"private, max-age={left}",
                "X-Content-Type-Options": "nosniff",
            },
        )
