"""Debian's headless chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: commands on
the browser's fd 3, replies on its fd 4, one JSON message per NUL-ended record), so no Python package is needed."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def find_chromium() -> str | None:
    """The path of Debian's chromium (`apt-get install chromium`) on PATH, or None."""
    return shutil.which("chromium")


class Chromium:
    """A headless chromium with one page (`with Chromium(path) as browser:`); `open` loads a file in it and
    `evaluate` runs JavaScript there."""

    def __init__(self, executable: str, timeout: float = 120):
        self.executable, self.timeout = executable, timeout
        self._next_id, self._events = 0, []

    def __enter__(self) -> "Chromium":
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-")
        commands, self._to_browser = _pipe_above(4)
        self._from_browser, replies = _pipe_above(4)
        # --no-sandbox: its sandbox refuses root, as in CI's containers (the page loaded is the run's own report).
        self._process = subprocess.Popen(
            [self.executable, "--headless", "--no-sandbox", "--remote-debugging-pipe",
             f"--user-data-dir={self._profile.name}"],
            preexec_fn=lambda: _onto_3_and_4(commands, replies), close_fds=False,  # the rest is close-on-exec
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(commands), os.close(replies)
        self._buffer = b""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable", session=True)
        return self

    def __exit__(self, *exc) -> None:
        self._process.kill()
        self._process.wait()
        os.close(self._to_browser), os.close(self._from_browser)
        self._profile.cleanup()

    def open(self, path: Path) -> None:
        """Load the file at `path` in the page and wait for its load event (its scripts have run)."""
        self._events.clear()
        self.send("Page.navigate", url=Path(path).resolve().as_uri(), session=True)
        self._wait(lambda message: message.get("method") == "Page.loadEventFired")

    def evaluate(self, expression: str, frame: str | None = None):
        """The value of a JavaScript expression in the page, or in its frame of id `frame` whatever that frame's
        origin (a world of its own beside the frame's scripts); a promise is awaited, a thrown error raises."""
        where = {}
        if frame is not None:
            where["contextId"] = self.send("Page.createIsolatedWorld", frameId=frame, session=True)["executionContextId"]
        reply = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True,
                          session=True, **where)
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            raise AssertionError(f"JavaScript failed: {details.get('exception', {}).get('description', details['text'])}")
        return reply["result"].get("value")

    def subframes(self) -> list[dict]:
        """The page's frames below the top one, each as DevTools describes it (`id`, `url`, ...)."""
        tree = self.send("Page.getFrameTree", session=True)["frameTree"]
        return [child["frame"] for child in tree.get("childFrames", [])]

    def send(self, method: str, session: bool = False, **params) -> dict:
        """The result of a DevTools command, sent to the browser or, with `session`, to the page."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        reply = self._wait(lambda received: received.get("id") == message["id"])
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply["result"]

    def _wait(self, wanted) -> dict:
        """The first message (events seen earlier included) for which `wanted` is true, within the timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            for message in self._events:
                if wanted(message):
                    self._events.remove(message)
                    return message
            while b"\0" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                    raise TimeoutError(f"chromium did not answer within {self.timeout} s")
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise ConnectionError(f"chromium exited ({self._process.poll()})")
                self._buffer += chunk
            record, self._buffer = self._buffer.split(b"\0", 1)
            self._events.append(json.loads(record))


def _onto_3_and_4(commands: int, replies: int) -> None:
    """In the browser's process before it starts: its ends of the pipes as the fds it reads and writes."""
    os.dup2(commands, 3)
    os.dup2(replies, 4)


def _pipe_above(lowest: int) -> tuple[int, int]:
    """A pipe (read end, write end), close-on-exec, whose descriptors are both above `lowest`, so that
    `_onto_3_and_4` cannot overwrite one of them before it is copied."""
    ends = []
    for end in os.pipe():
        ends.append(fcntl.fcntl(end, fcntl.F_DUPFD_CLOEXEC, lowest + 1))
        os.close(end)
    return ends[0], ends[1]
