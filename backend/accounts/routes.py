"""HTTP for signing in, the caller's profile, residents' claims and staff roles."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import get_jwt, get_jwt_identity, jwt_required
from flask_smorest import Blueprint

from backend.accounts import schemas as s
from backend.accounts import services
from backend.accounts.profile import my_profile
from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.core.pagination import SelectPage

auth_blp = Blueprint("auth", __name__, description="登录与令牌")
blp = Blueprint("accounts", __name__, description="个人信息、居民认证与工作人员")

PAGE = {"page_size": 20, "max_page_size": 100}


@auth_blp.route("/auth/wechat-login")
class WechatLogin(MethodView):
    @auth_blp.doc(security=[])
    @auth_blp.arguments(s.WechatLoginSchema)
    @auth_blp.response(200, s.TokenSchema)
    @errors(401, 403, 429, 503)
    def post(self, data):
        """Sign in from the mini-program with the code of wx.login()"""
        return services.wechat_login(code=data["code"])


@auth_blp.route("/auth/login")
class PasswordLogin(MethodView):
    @auth_blp.doc(security=[])
    @auth_blp.arguments(s.PasswordLoginSchema)
    @auth_blp.response(200, s.TokenSchema)
    @errors(401, 429)
    def post(self, data):
        """Staff sign in with username and password"""
        return services.password_login(username=data["username"], password=data["password"])


@auth_blp.route("/auth/refresh")
class Refresh(MethodView):
    decorators = [jwt_required(refresh=True)]

    @auth_blp.response(200, s.TokenSchema)
    @errors(401, 429)
    def post(self):
        """Exchange the refresh token (in the Authorization header) for a new pair"""
        return services.refresh_tokens(jti=get_jwt()["jti"], user_id=int(get_jwt_identity()))


@auth_blp.route("/auth/logout")
class Logout(MethodView):
    decorators = [jwt_required(verify_type=False)]

    @auth_blp.response(204)
    @errors(401)
    def post(self):
        """Sign out: the access and refresh tokens of this sign-in stop working"""
        claims = get_jwt()
        services.logout(family_id=claims.get("fam"), jti=claims["jti"])


@auth_blp.route("/auth/dev-login")
class DevLogin(MethodView):
    @auth_blp.doc(security=[])
    @auth_blp.arguments(s.DevLoginSchema)
    @auth_blp.response(200, s.TokenSchema)
    @errors(404, 429)
    def post(self, data):
        """Tokens for a demo user (development and test only; 404 in production)"""
        return services.dev_login(username=data["username"])


@blp.route("/me")
class Me(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.MeSchema)
    @errors(401)
    def get(self):
        """The caller: profile, memberships (with decisions) and verified roles"""
        return my_profile(actor=current_actor())

    @blp.arguments(s.EraseSchema)
    @blp.response(204)
    @errors(401, 409)
    def delete(self, data):
        """Erase my account: personal data removed or anonymised, every sign-in ended

        What the community's records need (a cast ballot, a ticket, the audit log) stays, pointing
        to an anonymous "已注销用户". The only committee member of a community is refused (409).
        """
        services.erase_account(actor=current_actor())


@blp.route("/me/consents")
class MyConsents(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.ConsentsSchema)
    @errors(401)
    def get(self):
        """My consents: one per kind, and whether I accepted the current privacy notice"""
        return services.my_consents(actor=current_actor())

    @blp.arguments(s.ConsentGrantSchema)
    @blp.response(201, s.ConsentSchema)
    @errors(401, 422)
    def post(self, data):
        """Give a consent (the privacy notice must be the current version)"""
        return services.grant_consent(
            actor=current_actor(), kind=data["kind"], version=data.get("version")
        )


@blp.route("/me/consents/<kind>")
class MyConsent(MethodView):
    decorators = [jwt_required()]

    @blp.response(204)
    @errors(401, 404)
    def delete(self, kind):
        """Withdraw a consent (withdrawing the privacy notice also unbinds the phone number)"""
        services.withdraw_consent(actor=current_actor(), kind=kind)


@blp.route("/me/phone")
class MyPhone(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.PhoneBindSchema)
    @blp.response(200, s.PhoneSchema)
    @errors(401, 403, 422, 503)
    def post(self, data):
        """Bind the phone number shared through WeChat's getPhoneNumber (shown masked)"""
        return services.bind_phone(actor=current_actor(), code=data["code"])

    @blp.response(204)
    @errors(401)
    def delete(self):
        """Unbind my phone number"""
        services.unbind_phone(actor=current_actor())


@blp.route("/me/export")
class MyExport(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.export_schema())
    @errors(401)
    def get(self):
        """Everything we hold about me, as JSON (the phone number in full, no session key)"""
        return services.export_my_data(actor=current_actor())


@blp.route("/communities/<int:community_id>/memberships")
class Memberships(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.MembershipQuerySchema, location="query")
    @blp.response(200, s.MembershipSchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401, 403, 404)
    def get(self, filters, community_id):
        """Residents' claims, e.g. the pending ones to decide (committee, street)"""
        return services.list_memberships(
            actor=current_actor(), community_id=community_id, filters=filters
        )

    @blp.arguments(s.ClaimSchema)
    @blp.response(201, s.MembershipSchema)
    @errors(401, 404, 409)
    def post(self, data, community_id):
        """Claim a household as owner, tenant or family (verified at once with an invitation code)"""
        return services.claim_household(
            actor=current_actor(), community_id=community_id, data=data
        )


@blp.route("/communities/<int:community_id>/memberships/<int:membership_id>/verify")
class VerifyMembership(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.MembershipSchema)
    @errors(401, 403, 404, 409)
    def post(self, community_id, membership_id):
        """Verify a pending claim (committee)"""
        return services.verify_membership(
            actor=current_actor(),
            community_id=community_id,
            membership_id=membership_id,
        )


@blp.route("/communities/<int:community_id>/memberships/<int:membership_id>/reject")
class RejectMembership(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.ReasonSchema)
    @blp.response(200, s.MembershipSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, membership_id):
        """Reject a pending claim with a reason the resident sees (committee)"""
        return services.reject_membership(
            actor=current_actor(),
            community_id=community_id,
            membership_id=membership_id,
            reason=data["reason"],
        )


@blp.route("/communities/<int:community_id>/memberships/<int:membership_id>/revoke")
class RevokeMembership(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.ReasonSchema)
    @blp.response(200, s.MembershipSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, membership_id):
        """Withdraw a verification made by mistake, or of a resident who moved out (committee)"""
        return services.revoke_membership(
            actor=current_actor(),
            community_id=community_id,
            membership_id=membership_id,
            reason=data["reason"],
        )


@blp.route("/communities/<int:community_id>/invitations")
class Invitations(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.InvitationRequestSchema)
    @blp.response(201, s.InvitationSchema(many=True))
    @errors(401, 403, 404)
    def post(self, data, community_id):
        """Issue single-use invitation codes for letters to households (committee)"""
        return services.issue_invitations(
            actor=current_actor(), community_id=community_id, data=data
        )


@blp.route("/communities/<int:community_id>/staff")
class Staff(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.StaffQuerySchema, location="query")
    @blp.response(200, s.MembershipSchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401, 403, 404)
    def get(self, filters, community_id):
        """The community's committee, grid workers and professionals"""
        return services.list_staff(
            actor=current_actor(), community_id=community_id, filters=filters
        )

    @blp.arguments(s.StaffGrantSchema)
    @blp.response(201, s.MembershipSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id):
        """Give a user a staff role here, creating the account when a password is given"""
        return services.grant_staff_role(
            actor=current_actor(), community_id=community_id, data=data
        )


@blp.route("/communities/<int:community_id>/staff/<int:membership_id>")
class StaffById(MethodView):
    decorators = [jwt_required()]

    @blp.response(204)
    @errors(401, 403, 404, 409)
    def delete(self, community_id, membership_id):
        """Take a staff role away (never the last committee member)"""
        services.revoke_staff_role(
            actor=current_actor(),
            community_id=community_id,
            membership_id=membership_id,
        )
