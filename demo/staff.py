"""The demo's staff: a Werkplein per arbeidsmarktregio whose werkcoach serves the region's
jobseekers, and one user per role at the Werkplein of the first vacancy's region."""

from __future__ import annotations

from matching.directory import User
from matching.geo import geography
from matching.records import Kind
from matching.store import Store

ROLES = ("matchmaker", "accountmanager", "werkcoach", "datascientist", "admin")


def werkplein(region: str) -> str:
    return f"Werkplein {geography().region_names.get(region, region)}"


def assign_caseloads(store: Store) -> int:
    """Every jobseeker without a caseload joins the werkcoach of their region's Werkplein."""
    geo = geography()
    by_region: dict[str, list[str]] = {}
    for _, js in store.iter_records(Kind.JOBSEEKERS):
        by_region.setdefault(geo.region_of(js.postcode), []).append(js.id)
    for region, ids in sorted(by_region.items()):
        coach = User(
            f"wc-{region}", f"werkcoach {region}", "werkcoach", werkplein(region), (region,)
        )
        store.directory.put_user(coach)
        store.directory.assign(ids, coach)
    return sum(len(ids) for ids in by_region.values())


def demo_users(store: Store) -> dict[str, User]:
    """One user per role at the Werkplein of the first vacancy's region (made once)."""
    first = store.get(Kind.VACANCIES, store.ids(Kind.VACANCIES)[0])
    region = geography().region_of(first.postcode)
    team = werkplein(region)
    users = {
        "werkcoach": User(f"wc-{region}", f"werkcoach {region}", "werkcoach", team, (region,)),
        "matchmaker": User("demo-matchmaker", "Demo matchmaker", "matchmaker", team, (region,)),
        "accountmanager": User(
            "demo-accountmanager", "Demo accountmanager", "accountmanager", team, (region,)
        ),
        "datascientist": User(
            "demo-datascientist", "Demo data scientist", "datascientist", None, ()
        ),
        "admin": User("demo-admin", "Demo admin", "admin", None, ()),
    }
    for user in users.values():
        store.directory.put_user(user)
    return users
