"""Who works where: named users with their role, team (a Werkplein) and regions, and the
caseloads that say which werkcoach and team serve a jobseeker. Access rules read these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from matching.database import chunks, utc_now
from matching.schema import caseload, users


@dataclass(frozen=True)
class User:
    """A named user: role, team (None: works alone) and the arbeidsmarktregio's served."""

    user_id: str
    name: str
    role: str
    team: str | None
    regions: tuple[str, ...]


class Directory:
    """Users and caseloads in the store's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put_user(self, user: User) -> None:
        """Create or replace a user."""
        row = {
            "name": user.name,
            "role": user.role,
            "team": user.team,
            "regions": sorted(user.regions),
        }
        with self.engine.begin() as conn:
            found = conn.execute(
                update(users).where(users.c.user_id == user.user_id).values(**row)
            ).rowcount
            if not found:
                conn.execute(
                    insert(users).values(user_id=user.user_id, created_at=utc_now(), **row)
                )

    def user(self, user_id: str | None) -> User | None:
        if user_id is None:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.user_id == user_id)).first()
        if row is None:
            return None
        return User(row.user_id, row.name, row.role, row.team, tuple(row.regions or ()))

    def users(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(users).order_by(users.c.user_id))]

    def assign(self, jobseeker_ids: Iterable[str], user: User) -> None:
        """Put jobseekers in a werkcoach's caseload (and so their team's)."""
        ids = list(dict.fromkeys(jobseeker_ids))
        with self.engine.begin() as conn:
            for part in chunks(ids):
                conn.execute(delete(caseload).where(caseload.c.jobseeker_id.in_(part)))
            rows = [{"jobseeker_id": j, "user_id": user.user_id, "team": user.team} for j in ids]
            if rows:
                conn.execute(insert(caseload), rows)

    def serves(self, user: User, jobseeker_ids: Iterable[str]) -> set[str]:
        """Of these jobseekers, those in the user's caseload or their team's."""
        ids = list(dict.fromkeys(jobseeker_ids))
        scope = caseload_scope(user)
        out: set[str] = set()
        with self.engine.connect() as conn:
            for part in chunks(ids):
                stmt = select(caseload.c.jobseeker_id).where(
                    caseload.c.jobseeker_id.in_(part), scope
                )
                out |= set(conn.execute(stmt).scalars())
        return out


def caseload_scope(user: User) -> Any:
    """The caseload rows a user serves: their own, and their team's when they have one."""
    mine = caseload.c.user_id == user.user_id
    return mine if user.team is None else (mine | (caseload.c.team == user.team))


def drop_from_caseload(conn: Any, jobseeker_id: str) -> None:
    """Inside the caller's transaction (erasure)."""
    conn.execute(delete(caseload).where(caseload.c.jobseeker_id == jobseeker_id))
