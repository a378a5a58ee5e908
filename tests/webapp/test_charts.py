"""The run page's charts (webapp/charts.py): each label sits under the middle of its bar, and
a chart with nothing to draw yet (a live run's first minutes) says so instead of drawing an
empty frame."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.support.builders import assignment_in
from webapp import charts

SVG = "{http://www.w3.org/2000/svg}"


def parsed(markup: str) -> ET.Element:
    return ET.fromstring(str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_every_tick_label_is_centred_under_its_bar():
    labels = [f"{h:02d}:00" for h in range(12)]
    svg = parsed(charts.bar_chart("Outcomes over time", labels,
                                  [("completed", "chart__bar--good", [h + 1 for h in range(12)])]))
    bars = {rect.find(f"{SVG}title").text.split(":")[0] + ":00": rect for rect in svg.iter(f"{SVG}rect")}
    ticks = [t for t in svg.iter(f"{SVG}text") if t.text in labels]

    assert len(ticks) == len(charts._tick_indexes(len(labels))) > 1
    for tick in ticks:
        bar = bars[tick.text]
        assert tick.get("text-anchor") == "middle"
        assert abs(float(tick.get("x")) - (float(bar.get("x")) + float(bar.get("width")) / 2)) < 0.1


def test_a_chart_whose_buckets_are_all_empty_says_nothing_yet_instead_of_drawing_a_frame():
    empty = charts.bar_chart("Outcomes over time", ["01:00", "02:00"],
                             [("completed", "chart__bar--good", [0, 0]), ("failed", "chart__bar--bad", [0, 0])])
    assert str(empty) == '<p class="chart chart--empty">Outcomes over time: nothing yet.</p>'
    assert "<svg" not in charts.bar_chart("Time to complete", [], [("assignments", "chart__bar--info", [])])


def test_a_live_run_with_nothing_finished_shows_no_empty_chart_frames(client, handler):
    run_id = handler.log_new_run(2, "qa", provider="mturk")
    assignment_in(handler, run_id, "W1", 1, "in_task")

    page = client.get(f"/runs/{run_id}").get_data(as_text=True)

    assert "Outcomes over time: nothing yet." in page and "Time to complete: nothing yet." in page
    assert not re.search(r'<svg class="chart" [^>]*aria-label="(Outcomes over time|Time to complete)"', page)
