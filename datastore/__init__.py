"""Parley's store: the models, the migrations runner and `MTurkDataHandler`, the one API
through which runs, HITs, assignments, workers, conversations and messages are written and read."""
from datastore import (  # noqa: F401  (they define tables)
    models,
    models_authenticity,
    models_bulk,
    models_dashboard,
    models_forms,
    models_presence,
    models_review,
)
from datastore.engine import open_store
from datastore.errors import (
    DatastoreError,
    IllegalTransition,
    InvalidValue,
    NotFound,
    StoreUnavailable,
)
from datastore.handler import MTurkDataHandler
from datastore.records import Record

metadata = models.Base.metadata

__all__ = [
    "DatastoreError",
    "IllegalTransition",
    "InvalidValue",
    "MTurkDataHandler",
    "NotFound",
    "Record",
    "StoreUnavailable",
    "metadata",
    "open_store",
]
