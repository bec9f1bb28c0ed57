"""``meridian generate --to`` with several regions' edges, as a user runs it: a real process, a real
edge (buffering to disk, Kafka not needed for that) behind a home edge that is gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import typer

from orchestration.cli.main import edge_urls
from tests.streaming.edge.edge_helpers import KEY, metric
from tests.streaming.edge.stub_edges import closed_url, kafkaless_edge


def generate_to(*to: str) -> subprocess.CompletedProcess[str]:
    args = ["generate", "--count", "300", "--batch-size", "100", "--malformed", "0", "--duplicates", "0"]
    for url in to:
        args += ["--to", url]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"} | {"MERIDIAN_EDGE_API_KEY": KEY}
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_to_takes_repeated_and_comma_separated_urls_in_order() -> None:
    assert edge_urls(["http://a:1"]) == ["http://a:1"]
    assert edge_urls(["http://a:1, http://b:2", "https://c"]) == ["http://a:1", "http://b:2", "https://c"]
    with pytest.raises(typer.BadParameter, match="'b:2' is not an http"):
        edge_urls(["http://a:1,b:2"])
    with pytest.raises(typer.BadParameter, match="at least one"):
        edge_urls([" , "])


@pytest.mark.integration
@pytest.mark.parametrize("form", ["repeated", "comma-separated"])
def test_generate_fails_over_from_a_lost_home_edge_to_the_next_region(tmp_path: Path, form: str) -> None:
    home, edge = closed_url(), kafkaless_edge(tmp_path / "buffer")
    try:
        result = generate_to(home, edge.url) if form == "repeated" else generate_to(f"{home},{edge.url}")
        text = httpx.get(edge.url + "/metrics").text
    finally:
        edge.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"acknowledged by edge: {home}=0, {edge.url}=3" in result.stdout
    assert f"failovers from edge: {home}=1, {edge.url}=0" in result.stdout  # then it stayed on the edge that worked
    landed = metric(text, "meridian_edge_events_accepted_total") + metric(text, "meridian_edge_events_rejected_total")
    assert landed == 300


@pytest.mark.integration
def test_generate_to_one_edge_prints_what_it_did_before(tmp_path: Path) -> None:
    edge = kafkaless_edge(tmp_path / "buffer")
    try:
        result = generate_to(edge.url)
    finally:
        edge.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    assert "posted 300 in 3 requests" in result.stdout and "failovers" not in result.stdout
