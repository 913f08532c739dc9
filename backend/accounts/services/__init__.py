"""Accounts use cases: signing in (`signin`), joining communities and staff roles
(`memberships`), personal data: consents, phone, export, erasure (`privacy`)."""

from backend.accounts.services.memberships import (
    claim_household,
    grant_staff_role,
    issue_invitations,
    list_memberships,
    list_staff,
    reject_membership,
    revoke_membership,
    revoke_staff_role,
    verify_membership,
)
from backend.accounts.services.privacy import (
    bind_phone,
    erase_account,
    export_my_data,
    grant_consent,
    has_consent,
    my_consents,
    require_consent,
    unbind_phone,
    withdraw_consent,
)
from backend.accounts.services.signin import (
    create_user,
    dev_login,
    load_actor,
    logout,
    password_login,
    refresh_tokens,
    token_revoked,
    wechat_login,
)

__all__ = [
    "bind_phone",
    "claim_household",
    "create_user",
    "dev_login",
    "erase_account",
    "export_my_data",
    "grant_consent",
    "grant_staff_role",
    "has_consent",
    "issue_invitations",
    "list_memberships",
    "list_staff",
    "load_actor",
    "logout",
    "my_consents",
    "password_login",
    "refresh_tokens",
    "reject_membership",
    "require_consent",
    "revoke_membership",
    "revoke_staff_role",
    "token_revoked",
    "unbind_phone",
    "verify_membership",
    "wechat_login",
    "withdraw_consent",
]
