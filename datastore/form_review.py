"""What a reviewer reads of one form assignment: every item it was handed, in the order its
worker's page showed them, each with the item's data, its known answers when it is a gold,
and the worker's answers when they gave them. Kept apart from datastore/forms.py, which is
what the runner writes and reads while the work is done."""
from __future__ import annotations

from sqlalchemy import and_, select

from datastore.access import StoreAccess, records
from datastore.forms import _shuffled
from datastore.models_forms import FormAnswerRow, FormClaim, FormItemRow
from datastore.records import Record


class FormReviewReaders(StoreAccess):
    def get_assignment_form_items(self, assignment_id: str) -> list[Record]:
        """The items handed to the assignment (none for a chat assignment), in the order its
        page showed them: item_id, state (the claim's: open, answered or released), data,
        gold (the known answers by field name; None for an item to annotate), answers
        (None until answered), gold_correct (None but for an answered gold), answered_at, and
        how the free-text answers were composed (signals, flags; see FormAnswerRow)."""
        answer = and_(FormAnswerRow.assignment_id == FormClaim.assignment_id,
                      FormAnswerRow.item_id == FormClaim.item_id)
        query = (select(FormClaim.item_id, FormClaim.state, FormItemRow.data, FormItemRow.gold,
                        FormAnswerRow.answers, FormAnswerRow.gold_correct, FormAnswerRow.answered_at,
                        FormAnswerRow.signals, FormAnswerRow.flags)
                 .join(FormItemRow, and_(FormItemRow.run_id == FormClaim.run_id,
                                         FormItemRow.item_id == FormClaim.item_id))
                 .outerjoin(FormAnswerRow, answer)
                 .where(FormClaim.assignment_id == assignment_id).order_by(FormClaim.id))
        rows = {row["item_id"]: row for row in self._read(lambda s: records(s.execute(query)))}
        return [rows[item_id] for item_id in _shuffled(list(rows), assignment_id)]
