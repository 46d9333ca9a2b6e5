"""A query worker killed at its deadline is replaced by one that stays alive.

Why: workers ask Linux to kill them when their parent goes (PR_SET_PDEATHSIG), and Linux means
the parent *thread*: a replacement must be started from a thread that outlives it, or the
pool shrinks after each killed query. A real store and real worker processes.
"""

from __future__ import annotations

import threading
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


def test_a_worker_outlives_the_thread_that_asked_for_it(store: KiemenStore) -> None:
    """A request thread (or the short one that replaces a killed worker) may end at any time
    after the worker has started; the worker must not end with it."""
    pool = WorkerPool(store.settings)
    try:
        asked = threading.Thread(target=lambda: (pool._spawn_idle(), time.sleep(1.5)))
        asked.start()  # the worker sets its parent-death signal well within the 1.5 s
        asked.join()
        time.sleep(0.5)
        assert pool._all and all(_alive(pool)), _alive(pool)
    finally:
        pool.close()
