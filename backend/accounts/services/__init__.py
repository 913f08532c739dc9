"""Accounts use cases: signing in (`signin`), joining communities and staff roles (`memberships`)."""

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
    "claim_household",
    "create_user",
    "dev_login",
    "grant_staff_role",
    "issue_invitations",
    "list_memberships",
    "list_staff",
    "load_actor",
    "logout",
    "password_login",
    "refresh_tokens",
    "reject_membership",
    "revoke_membership",
    "revoke_staff_role",
    "token_revoked",
    "verify_membership",
    "wechat_login",
]
