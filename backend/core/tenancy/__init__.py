"""Tenancy: the regions and communities everything else belongs to, and how a row of one
community is loaded (never by its id alone). The layer right above infrastructure: platform
services, accounts and the domains all scope their rows by these; this imports none of them.
"""
