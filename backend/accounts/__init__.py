"""Users, sign-in, residents' verification, invitation codes and staff roles."""


def blueprints():
    from backend.accounts.routes import auth_blp, blp

    return [auth_blp, blp]


def init_app(app):
    from backend.accounts.services import load_actor, role_holders, token_revoked
    from backend.core.auth import install_actor_loader, install_role_holders, install_token_errors
    from backend.extensions import jwt

    install_token_errors(jwt)
    install_actor_loader(jwt, load_actor)
    install_role_holders(app, role_holders)

    @jwt.token_in_blocklist_loader
    def _revoked(_header, payload):
        return token_revoked(payload)
