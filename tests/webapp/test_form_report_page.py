"""A form run's page has a Form section (progress, alpha per question, per-item majorities,
workers with their agreement and golds, a comparison's win rates) and its JSON twin carries
the same report under "form"; a chat run's page has none. Markup from the task and the
workers is shown as text."""
from __future__ import annotations

import html
import json
import re

from tests.support.builders import completed_conversation
from tests.support.form_runs import (
    RATING_FIELDS,
    answer_claimed,
    comparison_run,
    form_config,
    rating_run,
)
from tests.webapp.test_statements_per_page import statements
from webapp.runs import FORM_ROWS_SHOWN


def form_section(client, run_id: str) -> str:
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    found = re.search(r'<section class="card" id="form".*?</section>', page.get_data(as_text=True), re.S)
    assert found, "the run page has no Form section"
    return found.group(0)


def text_of(markup: str) -> str:
    """The words of some HTML as a browser shows them: tags dropped, entities read, spaces squeezed."""
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", markup).split()))


def rows(markup: str, marker: str) -> list[str]:
    """The text of each body row of the table marked `marker` (a data- attribute)."""
    table = re.search(rf"<(?:table|details)[^>]*{marker}.*?</table>", markup, re.S)
    assert table, marker
    return [text_of(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0).split("<tbody>")[-1], re.S)]


def test_a_form_runs_page_shows_progress_alpha_per_question_majorities_and_workers(client, handler):
    run_id = rating_run(handler)
    report = handler.form_report(run_id)

    section = form_section(client, run_id)

    assert "3 of 4 items complete (3 answers each) · 11 answers to items · 6 to gold items" in text_of(section)
    for name in ("label", "fluency"):
        alpha = re.search(rf'data-question="{name}".*?data-alpha>([^<]+)<', section, re.S).group(1)
        assert alpha == f"{report['agreement'][name]['alpha']:.3f}"
    assert 'data-question="note"' not in section  # a text field has no agreement
    assert rows(section, 'data-majorities="label"') == [
        "i1 yes 3", "i2 no 3", "i3 no 2", "i4 <em>odd</em> yes 3"]
    # answers, agreement on label then on fluency (W2's fluency: 0 + 1/2 + 0 + 1 of 4), golds
    assert rows(section, 'data-form="workers"') == [
        "W1 4 62% 50% 2 / 2 100%",
        "W2 4 62% 38% 1 / 2 50% below the gold bar",
        "W3 3 67% 50% 0 / 2 0% below the gold bar blocked",
    ]
    assert "Gold bar: right on 60% of the golds or more, once 2 are answered." in text_of(section)


def test_markup_in_a_field_label_and_an_item_id_is_shown_as_text(client, handler):
    section = form_section(client, rating_run(handler))

    assert "Is it &lt;b&gt;on topic&lt;/b&gt;?" in section
    assert "i4 &lt;em&gt;odd&lt;/em&gt;" in section
    assert "<em>" not in section and "<b>" not in section


def test_a_comparisons_page_shows_the_win_rates_p_values_and_how_often_the_first_side_won(client, handler):
    section = form_section(client, comparison_run(handler))

    assert rows(section, 'data-form="win-rates"') == [
        "m1 m2 9 1 10 90% 0.02148 significant",
        "m1 m3 0 2 2 0% 0.5",
    ]
    assert "The side shown first won 8 of 12 times (67%, p = 0.3877)." in text_of(section)


def test_the_twin_carries_the_report_under_form(client, handler):
    for run_id in (rating_run(handler), comparison_run(handler)):
        twin = client.get(f"/runs/{run_id}.json").get_json()
        assert twin["form"] == json.loads(json.dumps(handler.form_report(run_id)))


def test_a_chat_runs_page_has_no_form_section_and_its_twin_no_report(client, handler):
    run_id = completed_conversation(handler).run_id

    assert 'id="form"' not in client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert client.get(f"/runs/{run_id}.json").get_json()["form"] is None


def many_items_run(handler, items: int) -> str:
    run_id = handler.log_new_run(1, "rate_dialogs", provider="local", config=form_config(
        RATING_FIELDS, per_item=1, per_assignment=items))
    handler.register_form_items(run_id, [{"item_id": f"i{n:03d}", "data": {}} for n in range(items)])
    answer_claimed(handler, run_id, "W1", 0, items, 1,
                   {f"i{n:03d}": {"label": "yes", "fluency": 3} for n in range(items)})
    return run_id


def test_the_page_lists_the_first_majorities_and_says_how_many_more_the_twin_has(client, handler):
    run_id = many_items_run(handler, FORM_ROWS_SHOWN + 3)

    section = form_section(client, run_id)

    listed = rows(section, 'data-majorities="label"')
    assert len(listed) == FORM_ROWS_SHOWN and listed[0] == "i000 yes 1"
    assert "And 3 more items: the page's JSON and" in text_of(section)
    assert len(client.get(f"/runs/{run_id}.json").get_json()["form"]["agreement"]["label"]["items"]) == 103


def test_answers_the_report_cannot_read_leave_a_sentence_and_the_rest_of_the_page(client, handler):
    run_id = handler.log_new_run(1, "rate_dialogs", provider="local", config=form_config(
        RATING_FIELDS, per_item=1, per_assignment=1))
    handler.register_form_items(run_id, [{"item_id": "i1", "data": {}}])
    answer_claimed(handler, run_id, "W1", 0, 1, 1, {"i1": {"label": 7}})

    section = form_section(client, run_id)

    assert ("The form&#39;s report cannot be made: The answer of worker &#39;W1&#39;, item &#39;i1&#39;, "
            "field &#39;label&#39; should be an option value.") in section
    assert client.get(f"/runs/{run_id}.json").get_json()["form"]["error"].startswith(
        "The form's report cannot be made:")


def test_a_form_runs_page_sends_as_many_statements_with_many_answers_as_with_few(client, handler):
    small, big = many_items_run(handler, 3), many_items_run(handler, 60)
    for path in ("/runs/{run}", "/runs/{run}.json"):
        assert statements(client, handler, path.format(run=small)) == statements(client, handler, path.format(run=big))
