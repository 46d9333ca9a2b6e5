"""A query worker killed at its deadline is replaced by one that stays alive.

Why: workers ask Linux to kill them when their parent goes (PR_SET_PDEATHSIG), and Linux means
the parent *thread*: a replacement must be started from a thread that outlives it, or the
pool shrinks after each killed query. A real store and real worker processes.
"""

from __future__ import annotations

import time
from typing import Any

from core.sparql.engine import Job, WorkerPool
from core.store import KiemenStore

#: Runs far past the deadline the test gives it (a cross product of every triple, counted).
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _alive(pool: WorkerPool) -> list[bool]:
    workers: list[Any] = list(pool._all)
    return [w.alive() for w in workers]


def test_a_killed_query_worker_is_replaced_by_a_live_one(store: KiemenStore) -> None:
    pool = WorkerPool(store.settings)
    try:
        pool.start()
        size = pool.size
        before = {w.process.pid for w in list(pool._all)}
        job = Job(kind="query", text=SLOW, results_format="json", max_rows=10)
        out = pool.run(job, 0.2)
        assert out.status == 503, out.error  # killed at the deadline, then replaced
        deadline = time.monotonic() + 30
        while len(pool._all) < size and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(pool._all) == size
        time.sleep(1.0)  # a worker that dies with its starting thread is gone by now
        assert before - {w.process.pid for w in list(pool._all)}  # one of them was replaced
        assert all(_alive(pool)), _alive(pool)
    finally:
        pool.close()
