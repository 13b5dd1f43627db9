"""What a use case refuses, for the API to answer with the right status and the field at fault."""

from __future__ import annotations


class Refused(Exception):
    """The request cannot be carried out as sent (422); `field` is the path of the field at fault."""

    def __init__(self, field: tuple, message: str):
        super().__init__(message)
        self.field = field
        self.message = message

    def errors(self) -> dict:
        """The problem in marshmallow's shape: {"lines": {0: {"quantity": ["..."]}}}."""
        errors: object = [self.message]
        for part in reversed(self.field):
            errors = {part: errors}
        return errors  # type: ignore[return-value]


class Conflict(Refused):
    """An id the till generated was already used for something else (409)."""


class NotFound(Exception):
    """What the request refers to does not exist here (404)."""
