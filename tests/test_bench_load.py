"""The load benchmark's reading of `kiemen load`'s progress lines (issue 18 item 3)."""

from __future__ import annotations

import sys

from conftest import REPO

sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench.load_benchmark import phases


def test_phases_mark_each_phase_once_although_its_progress_lines_repeat() -> None:
    lines = [
        (1.0, "loading x.nt into graph bench (RDF file)"),
        (2.0, "loading x.nt into graph bench (RDF file): 12.4 MB of 34.8 MB read (35%)"),
        (3.0, "indexing ahead, while the store finishes writing"),
        (4.0, "indexing ahead, while the store finishes writing: 34.8 MB of 34.8 MB read"),
        (7.0, "links out: 114 places linked to GeoNames"),
        (7.5, "settling the SHACL checks against the new generation"),
        (7.6, "building index: annotate_meta"),
        (7.7, "building index: index_hook"),
    ]
    assert phases(lines, 9.0) == (
        "stream+check 2.0s, index ahead | bulk load, links out 4.0s, "
        "count, wait for index ahead 0.5s, settle 0.1s, hook annotate_meta 0.1s, "
        "hook index_hook 1.3s"
    )
