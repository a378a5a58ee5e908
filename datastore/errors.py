"""Errors the store raises for things a caller can cause; each message is written for a person."""


class DatastoreError(Exception):
    """Base class: anything the store refuses to do."""


class IllegalTransition(DatastoreError):
    """A status change the state machine does not allow; nothing was written."""


class NotFound(DatastoreError):
    """The run, assignment, worker or conversation named does not exist."""


class InvalidValue(DatastoreError):
    """An argument that can never be stored (negative money, unknown provider, ...)."""


class StoreUnavailable(DatastoreError):
    """The database cannot be opened or written (bad URL, read-only file, disk full)."""
