"""Domain errors: raised by the domain, mapped to HTTP statuses in one place (api.errors)."""

from __future__ import annotations


class DomainError(Exception):
    """An error about the caller's request, naming the field it concerns."""

    field = ""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if field is not None:
            self.field = field


class NotFoundError(DomainError, LookupError):
    """A record id that is not in the store (HTTP 404)."""

    field = "id"

    @classmethod
    def record(cls, kind: str, record_id: str, field: str | None = None) -> NotFoundError:
        """'jobseeker 'X' not found' for kind `jobseekers` (likewise vacancies)."""
        singular = {"jobseekers": "jobseeker", "vacancies": "vacancy"}.get(kind, kind)
        return cls(f"{singular} {record_id!r} not found", field)


class AlreadyExistsError(DomainError):
    """A record id that is taken (HTTP 409)."""

    field = "id"


class InvalidInputError(DomainError, ValueError):
    """Input that is well-formed but not acceptable (HTTP 422)."""


class SwitchInProgressError(DomainError, RuntimeError):
    """An embedder switch is running already (HTTP 409)."""


class NotTrainedError(DomainError, LookupError):
    """A model that has not been trained and promoted yet (HTTP 409: train it first)."""

    field = "model"
