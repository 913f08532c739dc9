"""Platform service: file storage for uploaded photos, behind an interface an object store can
replace (`services.storage()`). No domain rules: domains keep the keys they were given and call
`attach_photos` when they use them; see services.py for the whole flow."""


def blueprints():
    from backend.core.storage.routes import blp

    return [blp]


def init_app(app):
    from backend.core.storage.links import opened_reference
    from backend.core.storage.routes import allow_photo_bodies
    from backend.core.storage.services import check_storage_config
    from backend.core.wechat.media import install_media_opener

    check_storage_config(app)
    # Moderators open a stored photo awaiting their check by a signed link (core.wechat.media).
    install_media_opener(app, opened_reference)
    # Before the idempotency hook, which reads the body: the photo limit must apply by then.
    app.before_request(allow_photo_bodies)
