"""Browser sessions of the workspace, kept server-side beside the API keys they come from.

Signing in with a valid API key opens a session: a random token for the cookie (only its
SHA-256 hash is stored) and a CSRF token for the forms. A session lasts a working day at most,
ends when its user signs out, and stops at once when its key is revoked or expires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select

from matching.database import utc_now
from matching.schema import api_keys, web_sessions

SESSION_HOURS = 9.0


@dataclass(frozen=True)
class WebSession:
    """A live session: the key it was opened with (id, role, user) and its CSRF token."""

    key_id: str
    role: str
    user_id: str | None
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Sessions:
    """Open, look up and end sessions in the store's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(self, key_id: str, hours: float = SESSION_HOURS) -> tuple[str, str]:
        """A new session for a key already authenticated: (cookie token, CSRF token)."""
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), utc_now()
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
            conn.execute(
                insert(web_sessions).values(
                    token_hash=_digest(token),
                    key_id=key_id,
                    csrf=csrf,
                    created_at=now,
                    expires_at=now + dt.timedelta(hours=hours),
                )
            )
        return token, csrf

    def get(self, token: str) -> WebSession | None:
        """The session of a cookie token; None when unknown, ended, expired or its key is."""
        if not token or len(token) > 100:
            return None
        s, k = web_sessions.c, api_keys.c
        stmt = (
            select(s.key_id, s.csrf, s.expires_at.label("ends"), k.role, k.user_id, k.revoked_at)
            .add_columns(k.expires_at.label("key_expires"))
            .join_from(web_sessions, api_keys, s.key_id == k.key_id)
            .where(s.token_hash == _digest(token))
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        now = utc_now()
        if row is None or row.revoked_at is not None or _aware(row.ends) <= now:
            return None
        if row.key_expires is not None and _aware(row.key_expires) <= now:
            return None
        return WebSession(row.key_id, row.role, row.user_id, row.csrf)

    def end(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == _digest(token)))
