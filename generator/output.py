"""Write rendered files into the output directory all at once, or compare them with it.

The new output is assembled in a staging directory beside the target and swapped
in with one atomic rename, so a crash, a full disk or SIGKILL leaves either the old
output or the new one, never a mix. Files gen did not write (not in its manifest) are
carried over untouched, and never overwritten. A lock on the directory that holds it
keeps two gen processes from deciding and swapping at the same time. Single files gen writes
(a collect script, a starter spec) go through `write_file`: the same write-then-rename.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .provenance import GENERATED_MARK, Provenance

MANIFEST = ".gen-manifest.json"


LOCK_WAIT_SECONDS = 60  # a render takes well under a second; a holder past this is stuck or very slow


class OutputConflict(Exception):
    """Writing would lose something: a file gen did not write, a hand edit, or another spec's output; or the
    directory cannot be written at all (its path, the disk). The message names the path (exit 2)."""

STAGING_MARK = ".gen-staging"  # inside a staging folder until it is swapped in


def target_directory(directory: str | Path) -> Path:
    """The absolute output directory, or OutputConflict for a path that cannot be one (empty, a symlink loop, a
    symbolic link: gen replaces the folder it writes as a whole, and never follows a link it did not make)."""
    if not str(directory).strip():
        raise OutputConflict("the output directory is empty ('-o \"\"'); name a directory, or leave -o out for out/<name>/")
    try:
        linked = Path(directory).is_symlink()
    except OSError as exc:  # a name too long for the file system
        raise OutputConflict(f"{directory}: cannot be an output directory ({exc.strerror or exc})") from None
    if linked:
        raise OutputConflict(f"{directory}: is a symbolic link (to {os.readlink(directory)}); gen replaces the folder it "
                             f"renders into as a whole, so it writes only into a real folder: name the folder the link "
                             f"points to, or another one")
    try:
        return Path(directory).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on Python < 3.13
        raise OutputConflict(f"{directory}: cannot be an output directory ({getattr(exc, 'strerror', None) or exc})") from None


@contextlib.contextmanager
def locked(directory: Path, wait: float = LOCK_WAIT_SECONDS):
    """Hold a lock on the directory that holds `directory` while deciding what to write and swapping it in, so
    that two gen processes never both decide "nothing of another spec is here". Locking the parent (flock on its
    descriptor) leaves no lock file behind in a repository. A second gen waits for the first; after `wait`
    seconds it gives up with OutputConflict."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(directory.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() >= deadline:
                    raise OutputConflict(f"{directory}: another gen process has been writing into {directory.parent} "
                                         f"for {wait:.0f} s; try again when it has finished") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(descriptor)  # releases the lock


@dataclass(frozen=True)
class Drift:
    path: str
    state: str  # missing, changed, stale
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.state:8} {self.path}" + (f"  ({self.detail})" if self.detail else "")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_text(files: dict[str, str], provenance: Provenance | None = None) -> str:
    """What gen wrote (path -> sha256) and from what; no timestamp, so it is as stable as the files."""
    entries = {path: _sha256(text) for path, text in sorted(files.items())}
    return json.dumps({**(provenance.as_manifest() if provenance else {}), "files": entries}, indent=2) + "\n"


def _manifest(directory: Path) -> dict:
    try:
        data = json.loads((Path(directory) / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_manifest(directory: Path) -> dict[str, str]:
    """Files gen wrote last time (path -> sha256); empty when there is no readable manifest. Only paths inside the
    folder count: a committed manifest naming `../secret.txt` or `/etc/passwd` is never followed out of it."""
    files = _manifest(directory).get("files", {})
    return {rel: digest for rel, digest in files.items() if _inside(rel)} if isinstance(files, dict) else {}


def _inside(rel) -> bool:
    parts = Path(str(rel)).parts
    return isinstance(rel, str) and bool(parts) and not Path(rel).is_absolute() and ".." not in parts


def hand_edited(directory: Path) -> list[str]:
    """Files gen wrote last time that were changed since (their hash no longer matches the manifest)."""
    edited = []
    for rel, digest in sorted(read_manifest(directory).items()):
        path = Path(directory) / rel
        try:
            if _sha256(path.read_text("utf-8")) != digest:
                edited.append(rel)
        except (OSError, UnicodeDecodeError):
            continue  # gone or unreadable: nothing of the user's to keep
    return edited


def _is_ours(path: Path, previous: dict[str, str], relative: str) -> bool:
    if relative in previous:
        return True
    try:
        with path.open("r", encoding="utf-8") as handle:
            return GENERATED_MARK in handle.read(400)
    except (OSError, UnicodeDecodeError):
        return False


def write(files: dict[str, str], directory: Path, provenance: Provenance | None = None, force: bool = False) -> list[str]:
    """Make `directory` hold exactly `files` plus whatever the user keeps there. Returns the paths written.

    Refuses (OutputConflict) to overwrite a file gen did not write, and, unless `force`, output rendered
    from another spec or a generated file edited by hand: both would be lost without a word.
    """
    directory = target_directory(directory)
    try:
        with locked(directory):
            return _write_locked(files, directory, provenance, force)
    except OSError as exc:  # a full disk, a read-only file system, a name too long: the old output is intact
        raise OutputConflict(f"{directory}: cannot write ({exc.strerror or exc}); the previous output is unchanged") from None


def _write_locked(files: dict[str, str], directory: Path, provenance: Provenance | None, force: bool) -> list[str]:
    if not force and directory.is_dir():
        _refuse_losing_work(directory, provenance)
    if directory.exists() and not directory.is_dir():
        raise OutputConflict(f"{directory}: exists and is not a directory")
    if Path.cwd() == directory or directory in Path.cwd().parents:
        # The directory is replaced as a whole: a shell sitting inside it would be left in a deleted directory.
        raise OutputConflict(f"{directory}: is the current directory or contains it; render into a subdirectory, or run gen from elsewhere")
    previous = read_manifest(directory) if directory.is_dir() else {}
    conflicts = [
        rel for rel in files
        if (directory / rel).exists() and not _is_ours(directory / rel, previous, rel)
    ]
    if conflicts:
        raise OutputConflict(
            f"{directory}: would overwrite files gen did not write: {', '.join(sorted(conflicts))}; move them away or pick another -o"
        )
    # Under the lock, a staging directory of this target can only be left by a render that was killed: gen's own
    # carry a marker; a folder someone named like one is left alone.
    for leftover in directory.parent.glob(f".{directory.name}.gen-*"):
        if leftover.is_dir() and not leftover.is_symlink() and (leftover / STAGING_MARK).is_file():
            shutil.rmtree(leftover, ignore_errors=True)
    mode = stat.S_IMODE(directory.stat().st_mode) if directory.is_dir() else 0o777 & ~_umask()
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.gen-", dir=directory.parent))
    (staging / STAGING_MARK).write_text("a folder gen was writing; a killed render left it\n")
    try:
        if directory.is_dir():
            _carry_over_user_files(directory, staging, set(previous) | set(files) | {MANIFEST})
        for rel, text in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        (staging / MANIFEST).write_text(manifest_text(files, provenance), encoding="utf-8", newline="\n")
        (staging / STAGING_MARK).unlink()
        _fsync_tree(staging)
        os.chmod(staging, mode)  # the directory keeps the mode its owner gave it
        _swap_in(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(files)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_files(directory: Path, files: dict[str, str]) -> None:
    """Replace several files of one folder together (a device's swanctl.conf and frr.conf): every temporary file is
    written and synced first, then each renamed into place, so a failure while writing leaves every old file as it was
    and never a new one beside an old one."""
    written: list[tuple[str, Path]] = []
    try:
        for name, text in files.items():
            path = directory / name
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
            try:
                mode = stat.S_IMODE(path.stat().st_mode)
            except FileNotFoundError:
                mode = 0o666 & ~_umask()
            handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".gen-tmp", dir=directory)
            written.append((temporary, path))
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, mode)
    except BaseException:
        for temporary, _ in written:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise
    for temporary, path in written:
        os.replace(temporary, path)


def write_file(path: str | Path, text: str, executable: bool = False, parents: bool = False) -> None:
    """Replace one file atomically: write a temporary file beside it, fsync, rename. A full disk or a kill leaves
    the previous file whole. `parents`: make the folders it goes in (`gen import -o specs/hub.json`). Raises OSError
    (with the path) for the caller to report."""
    path = Path(path)
    if not str(path).strip():
        raise OSError(errno.ENOENT, "the file name is empty")
    if parents and str(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = (0o777 if executable else 0o666) & ~_umask()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".gen-tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _refuse_losing_work(directory: Path, provenance: Provenance | None) -> None:
    previous = _manifest(directory)
    # Manifests of gen 0.1 named only the spec's file name: nothing to compare with.
    other_spec = previous.get("spec") if "specSha256" in previous else None
    if provenance and other_spec and other_spec != provenance.spec:
        raise OutputConflict(
            f"{directory}: holds the output of {other_spec}, not of {provenance.spec} (two specs with the same "
            f"name?); pick another -o, or pass --force to replace it")
    edited = hand_edited(directory)
    if edited:
        raise OutputConflict(
            f"{directory}: {', '.join(edited)} changed since gen wrote them (edited by hand?); rendering would discard "
            f"that. Move the change into the spec, or pass --force to discard it")


def _carry_over_user_files(directory: Path, staging: Path, generated: set[str]) -> None:
    """Everything in the folder that gen does not own, into the staging directory as it is: files hard-linked (or
    copied), symbolic links as links (never followed), folders with their own mode, and anything else (a FIFO, a
    socket) hard-linked or refused, never opened."""
    for root, dirs, names in os.walk(directory):  # os.walk does not descend into linked folders
        here = Path(root)
        for name in dirs:
            source = here / name
            target = staging / source.relative_to(directory)
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
            else:
                target.mkdir(parents=True, exist_ok=True)
                os.chmod(target, stat.S_IMODE(source.stat().st_mode))
        for name in names:
            source = here / name
            rel = source.relative_to(directory).as_posix()
            if rel in generated:
                continue
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
                continue
            try:
                os.link(source, target)
            except OSError:
                if not stat.S_ISREG(os.lstat(source).st_mode):
                    raise OutputConflict(f"{source}: is neither a file, a folder nor a link, and cannot be linked into the "
                                         f"new output; move it out of {directory}") from None
                shutil.copy2(source, target)


def _fsync_tree(directory: Path) -> None:
    """Sync every regular file (a FIFO or a link carried over is never opened: opening a FIFO waits for a writer)."""
    for root, _, names in os.walk(directory):
        for name in names:
            path = Path(root) / name
            if stat.S_ISREG(os.lstat(path).st_mode):
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())


_RENAME_EXCHANGE = 2


def _swap_in(staging: Path, directory: Path) -> None:
    """Replace `directory` by `staging` in one step where the OS allows it (Linux renameat2)."""
    if not directory.exists():
        os.rename(staging, directory)
        return
    import ctypes  # only here: most renders go to a new directory

    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)  # the C library gen runs with
    if renameat2 is not None:
        at_fdcwd = -100
        if renameat2(at_fdcwd, os.fsencode(staging), at_fdcwd, os.fsencode(directory), _RENAME_EXCHANGE) == 0:
            return  # `staging` now holds the old output; the caller removes it
    # No atomic exchange here: two renames, with the old output kept until the new one is in place.
    backup = staging.with_name(staging.name + ".old")
    os.rename(directory, backup)
    os.rename(staging, directory)
    shutil.rmtree(backup, ignore_errors=True)


def rendered_from(spec_path: str | Path, root: str | Path = ".", depth: int = 4) -> Path | None:
    """The output directory whose manifest says it was rendered from `spec_path`, looked for below `root` (a
    repository keeps specs and their committed output side by side); None when there is none."""
    wanted = Path(spec_path).resolve()
    root = Path(root)
    skip = {".git", ".venv", "node_modules", ".tools", "__pycache__"}
    for directory, folders, names in os.walk(root):
        folders[:] = sorted(f for f in folders if f not in skip and not f.startswith(".")) \
            if Path(directory).relative_to(root).parts.__len__() < depth else []
        if MANIFEST in names:
            spec = _manifest(Path(directory)).get("spec")
            if isinstance(spec, str) and (Path(directory) / spec).resolve() == wanted:
                return Path(os.path.relpath(directory)) if Path(directory).resolve().is_relative_to(Path.cwd()) else Path(directory)
    return None


def check(files: dict[str, str], directory: Path) -> list[Drift]:
    """How `directory` differs from `files`; empty when it is exactly what gen renders. Writes nothing."""
    directory = Path(directory)
    drift = []
    for rel, text in sorted(files.items()):
        path = directory / rel
        if not path.is_file():
            drift.append(Drift(rel, "missing"))
            continue
        current = path.read_text("utf-8", errors="replace")
        if current != text:
            drift.append(Drift(rel, "changed", _diff_summary(current, text)))
    for rel in sorted(set(read_manifest(directory)) - set(files)):
        if (directory / rel).exists():
            drift.append(Drift(rel, "stale", "gen wrote it before but no longer generates it"))
    return drift


def unified_diff(files: dict[str, str], directory: Path) -> str:
    """What rendering would change in `directory`, as a unified diff (current -> rendered)."""
    directory = Path(directory)
    chunks = []
    for item in check(files, directory):
        path = directory / item.path
        current = path.read_text("utf-8", errors="replace").splitlines(keepends=True) if path.is_file() else []
        expected = files.get(item.path, "").splitlines(keepends=True)
        chunks += difflib.unified_diff(current, expected, f"a/{item.path}", f"b/{item.path}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


def _diff_summary(current: str, expected: str) -> str:
    added = removed = 0
    first = None
    for line in difflib.unified_diff(current.splitlines(), expected.splitlines(), lineterm="", n=0):
        if line.startswith("@@") and first is None:
            first = line.split()[1].lstrip("-").split(",")[0]
        elif line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return f"-{removed} +{added} lines against the spec's rendering" + (f", first at line {first}" if first else "")
