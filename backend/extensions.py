"""The Flask extensions, created here and bound in `create_app` (init_app pattern)."""

from flask_jwt_extended import JWTManager
from flask_smorest import Api

from backend.core.db import db
from backend.core.errors import ErrorSchema


class GongzhiApi(Api):
    # Every documented error uses our shape.
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # backend.core.errors installs the handlers; smorest's own would answer another shape.
        pass


api = GongzhiApi()
jwt = JWTManager()

__all__ = ["api", "db", "jwt"]
