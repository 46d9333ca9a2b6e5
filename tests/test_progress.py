"""Progress you can see: a bar that advances on a terminal, plain lines without one."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest
from conftest import REPO, kiemen_cmd, kiemen_env

from portal.progress import Progress, plain, read_position

TRIPLES = 150_000


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("progress") / "big.nt"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(TRIPLES):
            fh.write(
                f"<http://example.org/thing/{i}> <http://example.org/label> "
                f'"thing number {i} with some words to read" .\n'
            )
    return path


def env(store: Path) -> dict[str, str]:
    return kiemen_env(
        store, "http://kiemen.test/", KIEMEN_PROGRESS_DELAY="0", KIEMEN_PROGRESS_EVERY="0.3"
    )


def test_load_on_a_terminal_shows_the_bar_advance(big_file: Path, tmp_path: Path) -> None:
    master, slave = pty.openpty()
    # An 80-column terminal, as most are: every figure must still fit on the line.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    child_env = {k: v for k, v in env(tmp_path / "s").items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [*kiemen_cmd(), "load", str(big_file)],
        env=child_env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.wait(timeout=60) == 0, out.decode(errors="replace")[-2000:]
    text = out.decode(errors="replace")
    assert "\r" in text, "the bar redraws in place"
    percents = [int(p) for p in re.findall(r"(\d+)%\|", text)]
    assert len(set(percents)) >= 2 and percents == sorted(percents), percents
    bars = [line for line in re.split(r"[\r\n]", text) if "%|" in line]
    assert any(re.search(r"[\d,]+ triples/s", b) for b in bars), "triples per second"
    assert any(re.search(r"\[[\d:]+ left\]", b) for b in bars), "time left"
    assert all(len(b.rstrip()) <= 80 for b in bars), "the bar fits the terminal"
    assert f"loaded {TRIPLES} triples" in text


def test_load_without_a_terminal_prints_plain_lines(big_file: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [*kiemen_cmd(), "load", str(big_file)],
        env=env(tmp_path / "s"),
        cwd=REPO,
        capture_output=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    err = done.stderr.decode()
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", err + done.stdout.decode()), repr(err)
    lines = [line for line in err.splitlines() if " read (" in line]
    assert lines, err
    assert re.search(r"MB of [\d.]+ MB read \(\d+%\), [\d,]+ triples, [\d,]+ triples/s", err)
    assert "(100%)" in lines[-1]


def test_plain_output_neutralises_control_characters_in_names(tmp_path: Path) -> None:
    assert plain("file\x1b[2Jname\r\n") == "file?[2Jname??"
    out = tmp_path / "log.txt"
    with open(out, "w", encoding="utf-8") as stream:
        meter = Progress(stream, tty=False, delay=0, line_every=0)
        meter.say("loading evil\x1b]0;title\x07.nt")
        target = tmp_path / "data.bin"
        target.write_bytes(b"x" * 1000)
        with open(target, "rb", buffering=0) as fh, meter.watch_file(target):
            assert read_position(target) == 0
            fh.read(400)
            assert read_position(target) == 400
            time.sleep(0.6)
    text = out.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\x07" not in text
    assert "400 B of 1.0 kB read (40%)" in text
