"""The web app's routers, in the order they are mounted."""

from __future__ import annotations

from fastapi import APIRouter

from plexms.web.routes import pages, planner

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [pages.router, planner.router]
