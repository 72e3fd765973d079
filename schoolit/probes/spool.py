"""The probe's spool directory: batches the server did not take yet, and the cached target list.

Every file is written atomically (temporary file, fsync, rename, fsync of the directory), so a probe
killed mid-write leaves either the old state or the new one, never half a batch. Batch files are named
`<nanoseconds>-<idempotency key>.json`, so sorting the names sends them oldest first. A batch the server
refuses as invalid (4xx other than 401/403) moves to `rejected/` instead of blocking the queue forever.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import msgspec

from schoolit.probes.schemas import SampleBatch, TargetList

TARGETS_FILE = "targets.json"
REJECTED_DIR = "rejected"


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
    """Pending sample batches and the cached target list of one probe."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def pending(self) -> list[Path]:
        """Spooled batch files, oldest first."""
        return sorted(self.directory.glob("*-*.json"))

    def put(self, batch: SampleBatch, body: bytes) -> Path:
        path = self.directory / f"{time.time_ns():020d}-{batch.idempotency_key}.json"
        write_atomic(path, body)
        return path

    @staticmethod
    def key_of(path: Path) -> str:
        return path.stem.split("-", 1)[1]

    def reject(self, path: Path) -> None:
        rejected = self.directory / REJECTED_DIR
        rejected.mkdir(exist_ok=True, mode=0o700)
        path.replace(rejected / path.name)

    def load_targets(self) -> TargetList | None:
        try:
            return msgspec.json.decode((self.directory / TARGETS_FILE).read_bytes(), type=TargetList)
        except FileNotFoundError:
            return None
        except msgspec.DecodeError:  # includes ValidationError
            return None  # a damaged cache is no cache

    def save_targets(self, targets: TargetList) -> None:
        write_atomic(self.directory / TARGETS_FILE, msgspec.json.encode(targets))
