"""Progress of long commands (load, export, backup, restore) that an operator can see.

On a terminal, a ``tqdm`` bar on stderr: the phase, bytes of the source read out of its size,
triples per second and the time left. Anywhere else (a log file, a pipe, CI), one plain line at
most every few seconds with the same figures and no control characters, so that a 4 M-triple
load never sits silent for a minute and its log stays readable. Nothing at all is drawn for
work that ends within :data:`DELAY` seconds.

Bytes are measured where they are really read: :meth:`Progress.watch_file` polls the read
position of every descriptor this process holds on the file (``/proc/self/fdinfo``), so that
pyoxigraph's native bulk loader, which opens the file itself, is measured as well as Python's
own reads; :meth:`Progress.watch_dir` sums what a writer has put into a directory so far.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

#: Seconds before any bar or progress line appears.
DELAY = 2.0
#: Seconds between plain progress lines.
LINE_EVERY = 5.0
_POLL = 0.25
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _setting(name: str, default: float) -> float:
    """A delay from the environment (README, "Settings"); the default when unset or bad."""
    try:
        return max(0.0, float(os.environ.get(name) or default))
    except ValueError:
        return default


def plain(text: str) -> str:
    """``text`` without control characters (a file name may hold any): safe for any log."""
    return _CONTROL.sub("?", text)


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


def read_position(path: Path) -> int | None:
    """The lowest read offset among this process's descriptors open on ``path`` (None: none).

    The lowest, because a file read twice at once (the bulk loader and the checker) is done
    when the slower reader is.
    """
    try:
        target = os.path.realpath(path)
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return None
    found: list[int] = []
    for fd in fds:
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != target:
                continue
            with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as info:
                for line in info:
                    if line.startswith("pos:"):
                        found.append(int(line.split()[1]))
                        break
        except (OSError, ValueError):
            continue
    return min(found) if found else None


def _dir_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


class Progress:
    """Phases and a measured amount of work, shown as a bar or as plain lines."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        tty: bool | None = None,
        delay: float | None = None,
        line_every: float | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.delay = _setting("KIEMEN_PROGRESS_DELAY", DELAY) if delay is None else delay
        self.line_every = (
            _setting("KIEMEN_PROGRESS_EVERY", LINE_EVERY) if line_every is None else line_every
        )
        self.started = time.monotonic()
        self.phase_text = ""
        self._bar: Any = None
        self._lock = threading.Lock()
        self._last_line = 0.0

    # -- messages --------------------------------------------------------------------------
    def say(self, message: str) -> None:
        """A message for the operator (also what ``loaders.load`` calls with each phase)."""
        text = plain(message)
        with self._lock:
            self.phase_text = text.strip()[:60]
            if self._bar is not None:
                self._bar.set_description_str(self._short_phase(), refresh=False)
                self._bar.write(text, file=self.stream)
            else:
                print(text, file=self.stream, flush=True)

    def _short_phase(self) -> str:
        """The phase as the bar's label: its first words, so the figures stay on the line."""
        text = self.phase_text
        return text if len(text) <= 20 else text[:19] + "…"

    # -- measured work ---------------------------------------------------------------------
    @contextlib.contextmanager
    def watch_file(
        self, path: Path, items: Callable[[], int | None] | None = None
    ) -> Iterator[None]:
        """Show how far this process has read ``path`` while the block runs."""
        try:
            total: int | None = Path(path).stat().st_size
        except OSError:
            total = None
        with self._watch(lambda: read_position(Path(path)), total, items, "read"):
            yield

    @contextlib.contextmanager
    def watch_dir(self, path: Path, total: int | None = None) -> Iterator[None]:
        """Show how much has been written into ``path`` (of ``total`` bytes, if known); what
        the directory held before the block does not count."""
        before = _dir_bytes(Path(path)) if Path(path).exists() else 0
        with self._watch(lambda: max(0, _dir_bytes(Path(path)) - before), total, None, "written"):
            yield

    @contextlib.contextmanager
    def _watch(
        self,
        done: Callable[[], int | None],
        total: int | None,
        items: Callable[[], int | None] | None,
        verb: str,
    ) -> Iterator[None]:
        stop = threading.Event()
        begun = time.monotonic()
        state: dict[str, Any] = {"bytes": 0, "items": None}

        def poll() -> None:
            while not stop.wait(_POLL):
                now = done()
                if now is not None:
                    state["bytes"] = max(state["bytes"], now)
                if items is not None:
                    state["items"] = items()
                if time.monotonic() - begun >= self.delay:
                    self._show(state["bytes"], total, state["items"], begun, verb)

        thread = threading.Thread(target=poll, name="kiemen-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self._end(
                state["bytes"] if total is None else total, total, state["items"], begun, verb
            )

    def _figures(
        self, done: int, total: int | None, items: int | None, begun: float, verb: str
    ) -> str:
        elapsed = max(time.monotonic() - begun, 1e-6)
        parts = [f"{_size(done)}" + (f" of {_size(total)}" if total else "") + f" {verb}"]
        if total:
            parts[0] += f" ({min(100, 100 * done // max(total, 1))}%)"
        if items is not None:
            parts.append(f"{items:,} triples, {items / elapsed:,.0f} triples/s")
        else:
            parts.append(f"{_size(done / elapsed)}/s")
        if total and 0 < done < total:
            left = elapsed * (total - done) / done
            parts.append(f"about {_duration(left)} left")
        parts.append(f"{_duration(elapsed)} so far")
        return ", ".join(parts)

    def _show(
        self, done: int, total: int | None, items: int | None, begun: float, verb: str
    ) -> None:
        with self._lock:
            if self.tty:
                self._draw(done, total, items, begun)
                return
            now = time.monotonic()
            if now - self._last_line < self.line_every:
                return
            self._last_line = now
            print(
                f"{self.phase_text or 'working'}: {self._figures(done, total, items, begun, verb)}",
                file=self.stream,
                flush=True,
            )

    def _draw(self, done: int, total: int | None, items: int | None, begun: float) -> None:

        if self._bar is None:
            self._bar = tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1000,
                file=self.stream,
                desc=self._short_phase(),
                # A terminal that reports no size (0 x 0) would get no bar at all.
                ncols=shutil.get_terminal_size((100, 24)).columns or 100,
                nrows=shutil.get_terminal_size((100, 24)).lines or 24,
                leave=False,
                mininterval=0.2,
                # The figures first and short, so that an 80-column terminal keeps them all;
                # the bar takes what is left.
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}B/{total_fmt}B"
                "{postfix} [{remaining} left]",
            )
        bar = self._bar
        bar.n = done
        if items is not None:
            elapsed = max(time.monotonic() - begun, 1e-6)
            bar.set_postfix_str(f"{items / elapsed:,.0f} triples/s", refresh=False)
        bar.refresh()

    def _end(
        self, done: int, total: int | None, items: int | None, begun: float, verb: str
    ) -> None:
        with self._lock:
            shown = self._bar is not None or self._last_line > 0
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            self._last_line = 0.0
            if shown:
                figures = self._figures(done, total, items, begun, verb)
                print(
                    f"{self.phase_text or 'done'}: {figures}",
                    file=self.stream,
                    flush=True,
                )
