"""The web process's end of a worker's socket: the worker's own framing both ways, and every
read held to the deadline (what kills a runaway query's worker). Real sockets, no mocks."""

from __future__ import annotations

import socket
import threading
import time
from multiprocessing.connection import Connection

import pytest

from core.sparql.channel import Channel, Timeout


def _pair() -> tuple[Channel, Connection]:
    ours, theirs = socket.socketpair()
    return Channel(ours), Connection(theirs.detach())


@pytest.mark.parametrize("size", [0, 10, 70_000, 3_000_000])
def test_frames_cross_both_ways_as_the_worker_writes_them(size: int) -> None:
    channel, worker = _pair()
    try:
        payload = {"body": b"x" * size, "n": size}
        sender = threading.Thread(target=channel.send, args=(payload, time.monotonic() + 30))
        sender.start()  # a big frame fills the socket's buffer until the worker reads
        assert worker.recv() == payload
        sender.join()
        answers = threading.Thread(target=lambda: (worker.send(payload), worker.send("next")))
        answers.start()  # a second frame right behind: never mixed into the first
        assert channel.receive(time.monotonic() + 30) == payload
        assert channel.receive(time.monotonic() + 30) == "next"
        answers.join()
    finally:
        channel.close()
        worker.close()


def test_nothing_by_the_deadline_is_a_timeout_at_the_deadline() -> None:
    channel, worker = _pair()
    try:
        started = time.monotonic()
        with pytest.raises(Timeout):
            channel.receive(started + 0.3)
        assert 0.25 < time.monotonic() - started < 2.0
        with pytest.raises(Timeout):  # a deadline already past: no wait at all
            channel.receive(time.monotonic() - 1)
    finally:
        channel.close()
        worker.close()


def test_a_worker_that_died_is_an_end_of_file() -> None:
    channel, worker = _pair()
    worker.close()
    try:
        with pytest.raises(EOFError):
            channel.receive(time.monotonic() + 5)
    finally:
        channel.close()
