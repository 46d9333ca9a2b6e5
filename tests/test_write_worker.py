"""The write worker: HTTP writes run one at a time in one confined worker process that outlives
them (keeping the index state in memory for the next), and that is replaced when it is killed,
by the deadline or otherwise. A real store and real worker processes."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import pyoxigraph as ox
from conftest import TEST_BASE

from core.sparql.engine import Job, WorkerPool
from core.store import KiemenStore

GRAPH = TEST_BASE + "graph/scratch"


def _update(i: int) -> Job:
    text = f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:x:s{i}> <urn:x:p> {i} }} }}"
    return Job(kind="update", text=text, grants=(GRAPH,), base_iri=TEST_BASE, token_id="t")


def _written(kstore: KiemenStore, i: int) -> bool:
    quad = ox.Quad(ox.NamedNode(f"urn:x:s{i}"), ox.NamedNode("urn:x:p"), ox.Literal(i))
    return ox.Quad(quad.subject, quad.predicate, quad.object, ox.NamedNode(GRAPH)) in (
        kstore.reader()
    )


def _writer_pid(pool: WorkerPool) -> int:
    writer: Any = pool._writer
    assert writer is not None and writer.alive()
    return int(writer.process.pid)


def test_writes_share_one_worker_that_is_replaced_when_killed(store: KiemenStore) -> None:
    pool = WorkerPool(store.settings)
    try:
        pool.start()
        first = _writer_pid(pool)
        for i in range(3):
            out = pool.run(_update(i), 120, what="write")
            assert out.status == 204, out.error
            assert not out.retired and _writer_pid(pool) == first  # the same process each time
            assert _written(store, i)
        os.kill(first, signal.SIGKILL)  # killed from outside: the next write starts another
        assert pool._writer is not None and pool._writer.process.wait(30) == -signal.SIGKILL
        out = pool.run(_update(3), 120, what="write")
        assert out.status == 204, out.error
        assert _written(store, 3) and _writer_pid(pool) != first
        # past its deadline the write is undone and its worker replaced
        killed = pool._writer
        out = pool.run(_update(4), 0.05, what="write")
        assert out.status == 503 and "KIEMEN_WRITE_TIMEOUT" in (out.error or ""), out.error
        assert pool._writer is None and killed is not None and not killed.alive()
        assert not _written(store, 4)
        # writes sent together run one after the other, each published
        outs: list[Any] = []
        threads = [
            threading.Thread(target=lambda i=i: outs.append(pool.run(_update(i), 120, "write")))
            for i in range(5, 8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [o.status for o in outs] == [204] * 3, [o.error for o in outs]
        assert all(_written(store, i) for i in range(5, 8))
    finally:
        pool.close()
    assert pool._writer is None
