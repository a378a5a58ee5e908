"""ParlAI-MTurk's mturk_utils: the qualification calls a run.py or a world makes, on the
run's own provider and through the review service, as the manager's (an MTurk
qualification on `--provider mturk`, one kept in Parley's store on the local provider).
Like ParlAI's, they name no manager: they act for the one whose server is up."""
from __future__ import annotations

from crowd.review import ReviewResult
from parlai_compat.mturk.core.mturk_manager import MTurkManager, refuse


def find_or_create_qualification(qualification_name: str, description: str, is_sandbox: bool = True,
                                 must_be_owned: bool = True) -> str:
    """The id of our qualification `qualification_name`, made with `description` if new:
    what `create_hits(qualifications=[{'QualificationTypeId': id, ...}])` requires."""
    if not must_be_owned:
        refuse("find_or_create_qualification(must_be_owned=False) would use another requester's "
               "qualification, which Parley cannot grant or check: leave must_be_owned out.")
    return _serving(is_sandbox).find_or_create_qualification(qualification_name, description)


def give_worker_qualification(worker_id: str, qualification_id: str, value: int | None = None,
                              is_sandbox: bool = True) -> ReviewResult:
    """Grant the worker the qualification find_or_create_qualification answered
    `qualification_id` for: the manager's give_worker_qualification (audited, once)."""
    manager = _serving(is_sandbox)
    return manager.give_worker_qualification(worker_id, manager.qualification_named(qualification_id), value)


def _serving(is_sandbox: bool) -> MTurkManager:
    manager = MTurkManager.serving
    if manager is None:
        refuse("call mturk_manager.setup_server() first: mturk_utils acts on its run's marketplace.")
    if bool(is_sandbox) != bool(manager.opt.get("is_sandbox", True)):
        where = {True: "sandbox", False: "live marketplace"}
        refuse(f"is_sandbox={is_sandbox!r} names the {where[bool(is_sandbox)]}, but the run is on the "
               f"{where[not is_sandbox]} (opt['is_sandbox']): pass opt['is_sandbox'].")
    return manager
