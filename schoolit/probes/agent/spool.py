"""The probe's spool directory: batches the server did not take yet, the cached target list, the run lock.

Every file is written atomically (temporary file, fsync, rename, fsync of the directory), so a probe
killed mid-write leaves either the old state or the new one, never half a batch. Batch files are named
`<nanoseconds>-<idempotency key>.json`, so sorting the names sends them oldest first. Three kinds of
entry are set aside instead of blocking the queue forever:
- a batch the server refuses as invalid (4xx other than 401/403) moves to `rejected/`, and so do the
  samples of a batch the server took only in part (the samples it refused, with its reasons);
- an entry that cannot be a batch (a directory, a file the probe may not read, one that is not a
  batch) moves to `damaged/`, so that one bad file (say, left by a run as root) never stops the runs.

`run.lock` holds an exclusive `flock` for the whole run: a second run started meanwhile (cron while a
long sweep is still going) exits at once instead of polling the same devices and replaying the same
batches concurrently.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import msgspec

from schoolit.probes.agent.wire import SampleBatch, TargetList

TARGETS_FILE = "targets.json"
LOCK_FILE = "run.lock"
REJECTED_DIR = "rejected"
DAMAGED_DIR = "damaged"

_BATCH = msgspec.json.Decoder(SampleBatch)


class AlreadyRunning(Exception):
    """Another run holds the spool's lock."""


class DamagedEntry(Exception):
    """A spool entry that cannot be sent; it was set aside (or could not even be moved)."""


def default_spool_dir() -> Path:
    """systemd's StateDirectory when run as a unit, else the user's state directory."""
    state = os.environ.get("STATE_DIRECTORY")
    if state:
        return Path(state.split(":")[0])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "schoolit-probe"


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that readers see the old or the new content, nothing between."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    # 0600: the target list carries SNMP secrets.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself must survive a power cut
    finally:
        os.close(directory)


class Spool:
    """Pending sample batches, the cached target list and the run lock of one probe."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the run lock; `AlreadyRunning` (naming the holder's pid) when another run has it.

        flock, not a pid file: the kernel drops the lock when its holder dies, however it dies."""
        handle = open(self.directory / LOCK_FILE, "a+")  # noqa: SIM115 -- held for the whole run
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "?"
                raise AlreadyRunning(f"another run (pid {holder}) holds {handle.name}") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield
        finally:
            handle.close()

    def pending(self) -> list[Path]:
        """Spooled batch entries, oldest first (whatever they turn out to be: see `read`)."""
        return sorted(self.directory.glob("*-*.json"))

    def put(self, batch: SampleBatch, body: bytes) -> Path:
        path = self.directory / f"{time.time_ns():020d}-{batch.idempotency_key}.json"
        write_atomic(path, body)
        return path

    @staticmethod
    def key_of(path: Path) -> str:
        return path.stem.split("-", 1)[1]

    def read(self, path: Path) -> tuple[str, bytes]:
        """A spooled batch's idempotency key and body; `DamagedEntry` (after setting it aside) otherwise."""
        try:
            if path.is_symlink() or not path.is_file():
                raise DamagedEntry("not a regular file")
            key = str(uuid.UUID(self.key_of(path)))
            body = path.read_bytes()
            _BATCH.decode(body)
        except (DamagedEntry, OSError, ValueError, msgspec.DecodeError) as exc:  # DecodeError: invalid batches too
            reason = exc if isinstance(exc, DamagedEntry) else DamagedEntry(f"{type(exc).__name__}: {exc}")
            self._set_aside(path, DAMAGED_DIR, reason)
            raise reason from None
        return key, body

    def reject(self, path: Path) -> None:
        self._set_aside(path, REJECTED_DIR, None)

    def put_refused(self, key: str, body: bytes) -> Path:
        """Keep the samples the server refused from a batch it took in part (for a person to look at)."""
        directory = self.directory / REJECTED_DIR
        directory.mkdir(exist_ok=True, mode=0o700)
        path = directory / f"{time.time_ns():020d}-{key}.refused.json"
        write_atomic(path, body)
        return path

    def _set_aside(self, path: Path, where: str, reason: DamagedEntry | None) -> None:
        directory = self.directory / where
        try:
            directory.mkdir(exist_ok=True, mode=0o700)
            path.replace(directory / path.name)
        except OSError as exc:
            # Not even movable (the spool directory itself is not ours): say so, and go on polling.
            detail = f"{reason}; could not move it to {where}/: {exc}" if reason else str(exc)
            raise DamagedEntry(detail) from None

    def load_targets(self) -> TargetList | None:
        try:
            return msgspec.json.decode((self.directory / TARGETS_FILE).read_bytes(), type=TargetList)
        except FileNotFoundError:
            return None
        except (OSError, msgspec.DecodeError):  # unreadable, or damaged: no cache (ValidationError included)
            return None

    def save_targets(self, targets: TargetList) -> None:
        write_atomic(self.directory / TARGETS_FILE, msgspec.json.encode(targets))
