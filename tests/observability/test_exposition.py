"""The registry and its text exposition, read back by prometheus_client's parser (the reference
reader of format 0.0.4)."""

from __future__ import annotations

import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from legato.observability import exposition
from legato.observability.metrics import OVERFLOW, Counter, Histogram, Registry


def parse(registry: Registry) -> dict[str, object]:
    return {f.name: f for f in text_string_to_metric_families(exposition.render(registry.collect()))}


def samples(family: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for s in family.samples}  # type: ignore[attr-defined]


def test_counters_gauges_histograms_parse_with_help_type_and_labels() -> None:
    r = Registry()
    c = r.counter("legato_things_total", "Things that happened.", ("dag_id", "state"))
    c.labels("a", "success").inc()
    c.labels("a", "success").inc(2)
    c.labels("b", "failed").inc()
    g = r.gauge("legato_level", "A level.")
    g.set(7.5)
    h = r.histogram("legato_wait_seconds", "Waits.", ("dag_id",), buckets=(0.1, 1.0, 10.0))
    for v in (0.05, 0.1, 0.5, 3.0, 50.0):
        h.labels("a").observe(v)
    fams = parse(r)
    counter = fams["legato_things"]
    assert counter.type == "counter" and counter.documentation == "Things that happened."
    assert samples(counter) == {
        ("legato_things_total", (("dag_id", "a"), ("state", "success"))): 3.0,
        ("legato_things_total", (("dag_id", "b"), ("state", "failed"))): 1.0}
    assert fams["legato_level"].type == "gauge"
    assert samples(fams["legato_level"]) == {("legato_level", ()): 7.5}
    hist = fams["legato_wait_seconds"]
    assert hist.type == "histogram"
    got = samples(hist)
    buckets = [got[("legato_wait_seconds_bucket", (("dag_id", "a"), ("le", le)))]
               for le in ("0.1", "1.0", "10.0", "+Inf")]
    assert buckets == [2, 3, 4, 5]                   # cumulative; a value on a bound is in it
    assert got[("legato_wait_seconds_count", (("dag_id", "a"),))] == 5
    assert got[("legato_wait_seconds_sum", (("dag_id", "a"),))] == pytest.approx(53.65)


def test_label_values_and_help_are_escaped() -> None:
    r = Registry()
    nasty = 'dag "quoted" \\ back\nslash'
    r.counter("legato_odd_total", "Help with \\ and\na newline.", ("dag_id",)).labels(nasty).inc()
    text = exposition.render(r.collect())
    assert '{dag_id="dag \\"quoted\\" \\\\ back\\nslash"}' in text
    assert "# HELP legato_odd_total Help with \\\\ and\\na newline.\n" in text
    (family,) = text_string_to_metric_families(text)
    assert family.documentation == "Help with \\ and\na newline."
    assert family.samples[0].labels == {"dag_id": nasty}


def test_empty_labelled_metric_still_says_what_it_is() -> None:
    r = Registry()
    r.counter("legato_none_total", "Nothing yet.", ("dag_id",))
    assert exposition.render(r.collect()) == ("# HELP legato_none_total Nothing yet.\n"
                                              "# TYPE legato_none_total counter\n")


def test_special_values() -> None:
    assert [exposition.format_value(v) for v in (float("inf"), float("-inf"), float("nan"), 3,
                                                 0.25)] == ["+Inf", "-Inf", "NaN", "3", "0.25"]


@pytest.mark.parametrize("make, message", [
    (lambda r: r.counter("bad name_total", "x"), "not a valid Prometheus name"),
    (lambda r: r.counter("legato_x", "x"), "must end in _total"),
    (lambda r: r.gauge("legato_x", "x", ("__reserved",)), "label name"),
    (lambda r: r.histogram("legato_h", "x", ("le",), buckets=(1,)), "'le' is reserved"),
    (lambda r: r.histogram("legato_h", "x", buckets=(2, 1)), "increasing"),
])
def test_bad_definitions_are_refused_with_the_reason(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(Registry())  # type: ignore[operator]


def test_registering_twice_gives_the_same_metric_and_a_clash_is_an_error() -> None:
    r = Registry()
    first = r.counter("legato_a_total", "A.", ("dag_id",))
    assert r.counter("legato_a_total", "A.", ("dag_id",)) is first
    with pytest.raises(ValueError, match="already registered as a counter"):
        r.gauge("legato_a_total", "A.")
    with pytest.raises(ValueError, match="takes labels"):
        first.labels("a", "b")
    with pytest.raises(ValueError, match="only goes up"):
        first.labels("a").inc(-1)


def test_label_sets_beyond_the_cap_are_counted_as_overflow() -> None:
    c = Counter("legato_many_total", "Many.", ("run_id",), max_series=3)
    for i in range(10):
        c.labels(f"run-{i}").inc()
    got = {labels: child.value for labels, child in c.series()}  # type: ignore[attr-defined]
    assert len(got) == 4 and got[(("run_id", OVERFLOW),)] == 7
    assert sum(got.values()) == 10


def test_concurrent_updates_are_not_lost() -> None:
    h = Histogram("legato_h", "H.", ("dag_id",), buckets=(1.0,))
    c = Counter("legato_c_total", "C.", ("dag_id",))

    def work() -> None:
        for _ in range(5000):
            c.labels("d").inc()
            h.labels("d").observe(0.5)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.labels("d").value == 40000
    cumulative, total, n = h.labels("d").snapshot()
    assert cumulative == [40000, 40000] and n == 40000 and total == pytest.approx(20000)
