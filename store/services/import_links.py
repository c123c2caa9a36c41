"""The initial password links of the users an import or an apply created: the sender the import
engine is given (`engine.run(..., links=send_initial_links)`), since the engine sits below the
services and does not import them."""

from __future__ import annotations

from sqlmodel import col, select

from tenantctl.store.context import Ctx
from tenantctl.store.models import User
from tenantctl.store.services import passwords


def send_initial_links(ctx: Ctx, user_ids: list[int]) -> int:
    """Queue (and deliver after the commit) an initial password link for each of these users,
    through the one mail pipeline; returns how many were queued."""
    users = list(ctx.session.scalars(select(User).where(col(User.id).in_(user_ids))).all())
    return len(passwords.issue_links(ctx, users, purpose="initial", deliver=True))
