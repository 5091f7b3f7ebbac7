"""Spam resistance for the public referral form (no account, so no CAPTCHA-free identity).

Three cheap checks, none of which needs a third party:
- a rate limit per client address (a sliding window, in memory: one process per worker is
  fine for a clinic; behind a proxy the proxy's ``X-Forwarded-For`` is honoured by uvicorn's
  ``--proxy-headers``);
- a honeypot field hidden from people (off-screen, ``tabindex=-1``, ``autocomplete=off``)
  that bots fill in: such a submission is thanked and dropped;
- a minimum fill time, from a signed timestamp issued with the form: a form sent back
  faster than a person could type is refused with a message asking to try again; the stamp
  expires (setting ``referral_stamp_max_age_minutes``, 2 hours) and is good once (the used
  ones are kept in the database, so the rule holds across workers): a captured form cannot
  be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from starlette.requests import Request

from plexms.clock import utcnow
from plexms.services.admin import throttle
from plexms.settings import Settings
from plexms.web.session import has_database, service_context

__all__ = [
    "HONEYPOT_FIELD",
    "RateLimiter",
    "accept_form_stamp",
    "issue_form_stamp",
    "seconds_since_stamp",
]

HONEYPOT_FIELD = "website"


def _sign(secret: bytes, text: str) -> str:
    return hmac.new(secret, b"form-stamp:" + text.encode(), hashlib.sha256).hexdigest()[:32]


def issue_form_stamp(secret: bytes, now: float | None = None) -> str:
    """A signed ``<unix time>.<mac>`` put in the form when it is shown."""
    issued = f"{(utcnow().timestamp() if now is None else now):.3f}"
    return f"{issued}.{_sign(secret, issued)}"


def seconds_since_stamp(secret: bytes, stamp: str, now: float | None = None) -> float | None:
    """Seconds since the form was shown, or ``None`` for a missing or forged stamp."""
    issued, _, mac = stamp.rpartition(".")
    if not issued or not hmac.compare_digest(mac, _sign(secret, issued)):
        return None
    try:
        shown = float(issued)
    except ValueError:
        return None
    return (utcnow().timestamp() if now is None else now) - shown


def accept_form_stamp(request: Request, stamp: str) -> float | None:
    """Seconds since the form was shown, or ``None`` for a missing, forged, expired or
    already used stamp (it is used now)."""
    elapsed = seconds_since_stamp(request.app.state.web.secret, stamp)
    settings = getattr(request.app.state, "settings", None)
    max_age = 60 * (
        settings.referral_stamp_max_age_minutes
        if isinstance(settings, Settings)
        else Settings.model_fields["referral_stamp_max_age_minutes"].default
    )
    if elapsed is None or elapsed > max_age or elapsed < -60:
        return None
    if has_database(request) and not throttle.spend_form_stamp(service_context(request), stamp):
        return None
    return elapsed


@dataclass
class RateLimiter:
    """At most ``limit`` events per ``window_seconds`` per key."""

    limit: int
    window_seconds: float
    _events: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: str, now: float | None = None) -> bool:
        """Record an event for ``key`` if it is within the limit; ``False`` when over."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= moment - self.window_seconds:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(moment)
            if len(self._events) > 10_000:  # forget idle keys so memory stays bounded
                for stale in [k for k, v in self._events.items() if not v]:
                    del self._events[stale]
            return True
