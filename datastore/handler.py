"""`MTurkDataHandler`: the one API for writing and reading a Parley store.

It keeps the name and the calls of ParlAI's alpha handler, so analysis scripts written for
ParlAI run with one changed import. It is safe to share between threads, and any number
of processes (runner, webapp, notebooks) may open the same store at once.
"""
from __future__ import annotations

from datastore.authenticity_summary import AuthenticitySummaryReaders
from datastore.bulk_jobs import BulkJobs
from datastore.dashboard import DashboardReaders
from datastore.form_report import FormReportReaders
from datastore.form_review import FormReviewReaders
from datastore.forms import FormAnswer, FormItem, FormStore
from datastore.ledger import ReviewLedger
from datastore.lifecycle import LifecycleWriters, LoggedMessage
from datastore.presence import PresenceStore
from datastore.readers import Readers
from datastore.review_queue import ReviewQueueReaders
from datastore.reviewer_access import ReviewerAccess
from datastore.run_control import RunControl
from datastore.worker_admin import WorkerAdmin
from datastore.worker_list import WorkerListing

__all__ = ["FormAnswer", "FormItem", "LoggedMessage", "MTurkDataHandler"]


class MTurkDataHandler(LifecycleWriters, Readers, WorkerAdmin, ReviewLedger, DashboardReaders, ReviewerAccess,
                       RunControl, ReviewQueueReaders, PresenceStore, BulkJobs, WorkerListing, FormStore,
                       FormReviewReaders, FormReportReaders, AuthenticitySummaryReaders):
    """`MTurkDataHandler()` opens the default store (PARLEY_DATABASE_URL, else
    ./data/parley.db); `MTurkDataHandler(db_url=...)` another. `run_id` (ParlAI's
    `task_group_id`) is the run writers use when they are not given one."""
