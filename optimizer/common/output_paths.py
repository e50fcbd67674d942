"""Where results may be written, and how, so that no command destroys what it did not write.

- A folder is one of ours when its marker file (``summary.json``, ``compare.json``,
  ``sweep.json`` or ``evaluation.json``) names its kind in a ``format`` field and it holds
  nothing we do not write. A target is replaced only when it is absent, an empty folder, or
  ours of the same kind; anything else is refused before any work (:class:`OutputRefused`)
  and left untouched.
- A writer holds a lock on the target (an OS lock on ``.<name>.sourcing-lock`` beside it) from
  its check to its last write, so concurrent runs to one target cannot both write: the second is
  refused at once with the first one's process id (:class:`OutputBusy`).
- The new folder is written to ``.<name>.sourcing-staging-*`` beside the target and exchanged
  with the old one in one step (``renameat2(RENAME_EXCHANGE)`` on Linux), so there is no moment
  without a complete result. Where the exchange is not available the old folder is first moved
  to ``.<name>.sourcing-old-*``; a run killed between the two renames is repaired by the next run
  to the target, which also removes staging folders that killed runs left behind.
- A folder a person goes on to edit (a scenario written by ``sourcing export``) is written by
  :func:`creating`: staged and locked alike, but it only ever takes the place of an absent or
  empty folder; one that holds anything is refused, whoever wrote it.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: msvcrt's byte-range lock instead
    fcntl = None  # type: ignore[assignment]

FORMAT_KEY = "format"
RESULT, COMPARISON, SWEEP, EVALUATION = "result", "comparison", "sweep", "evaluation"
MARKER_FILE = {
    RESULT: "summary.json",
    COMPARISON: "compare.json",
    SWEEP: "sweep.json",
    EVALUATION: "evaluation.json",
}
FORMAT = {kind: f"rare-earth-sourcing {kind}" for kind in MARKER_FILE}
NOUN = {
    RESULT: "result folder",
    COMPARISON: "comparison folder",
    SWEEP: "sweep results folder",
    EVALUATION: "evaluation folder",
}
WRITTEN_BY = {
    RESULT: "sourcing solve",
    COMPARISON: "sourcing compare",
    SWEEP: "sourcing sweep",
    EVALUATION: "sourcing evaluate",
}

# What each kind of folder may hold: names we write (reports and charts included), and the
# temporary files of our atomic writes (``.<name>.<random>``), which a killed run may leave.
_TABLES = (
    r"(plan|stock|mix|constraints|policy_costs|processing|decisions|content|content_feed"
    r"|risk|risk_plan|risk_stock|stockpile_value|risk_cover)"
    r"\.(csv|parquet)"
)
_REPORT = r"report\.html"
_ALLOWED = {
    RESULT: rf"summary\.json|plan\.xlsx|{_TABLES}|{_REPORT}",
    COMPARISON: rf"compare\.json|(compare|compare_detail|compare_inputs)\.(csv|parquet)"
    rf"|compare\.xlsx|{_REPORT}",
    SWEEP: rf"sweep\.json|points\.jsonl|results\.parquet|results\.csv|{_REPORT}",
    EVALUATION: r"evaluation\.json|paths\.jsonl|paths\.csv",
}
_PLAN_FILE = rf"summary\.json|{_TABLES}"
CHARTS, PLANS = "charts", "plans"
_MARKER_BYTES = 16 * 2**20  # a marker larger than this is not one of ours
_STAGING, _OLD, _LOCK = ".sourcing-staging-", ".sourcing-old-", ".sourcing-lock"


class OutputRefused(Exception):
    """The output path cannot be written without destroying something (exit code 2)."""


class OutputBusy(OutputRefused):
    """Another run is writing the same output path."""


def marker(kind: str) -> dict[str, str]:
    """The field that marks a folder's marker file as ours: ``{"format": ...}``."""
    return {FORMAT_KEY: FORMAT[kind]}


def kind_of(folder: Path) -> str | None:
    """The kind of our folder ``folder`` is, from its marker file; ``None`` if it is not ours."""
    for kind, name in MARKER_FILE.items():
        document = _read_marker(folder / name)
        if isinstance(document, dict) and document.get(FORMAT_KEY) == FORMAT[kind]:
            return kind
    return None


def _read_marker(path: Path) -> object:
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MARKER_BYTES:
            return None
        return json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return None


def foreign_entries(folder: Path, kind: str) -> list[str]:
    """Entries of our folder ``folder`` that we would not have written (sorted, relative)."""
    foreign: list[str] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name == CHARTS and entry.is_dir(follow_symlinks=False):
            foreign += _unexpected(Path(entry.path), r"[\w.-]+\.png", prefix=f"{CHARTS}/")
        elif kind == COMPARISON and entry.name == PLANS and entry.is_dir(follow_symlinks=False):
            for plan in sorted(os.scandir(entry.path), key=lambda e: e.name):
                where = f"{PLANS}/{plan.name}"
                if plan.is_dir(follow_symlinks=False):
                    foreign += _unexpected(Path(plan.path), _PLAN_FILE, prefix=f"{where}/")
                else:
                    foreign.append(where)
        elif not (entry.is_file(follow_symlinks=False) and _ours(entry.name, _ALLOWED[kind])):
            foreign.append(entry.name)
    return foreign


def _unexpected(folder: Path, allowed: str, prefix: str) -> list[str]:
    return [
        prefix + entry.name
        for entry in sorted(os.scandir(folder), key=lambda e: e.name)
        if not (entry.is_file(follow_symlinks=False) and _ours(entry.name, allowed))
    ]


def _ours(name: str, allowed: str) -> bool:
    return bool(re.fullmatch(rf"(\.)?({allowed})(?(1)\.\w+(\.tmp)?|)", name))


def check_target(target: str | Path, kind: str, option: str = "--out") -> None:
    """Raise :class:`OutputRefused` unless ``target`` may be replaced by a ``kind`` folder."""
    target = Path(target)
    shown = f"{option} {target}" if option else str(target)
    _check_place(target, shown)
    if not target.exists():
        return
    if not target.is_dir():
        raise OutputRefused(
            f"{shown}: is a file; {WRITTEN_BY[kind]} writes a folder and replaces only an empty "
            f"folder or an earlier {NOUN[kind]}; name a new folder"
        )
    if not any(target.iterdir()):
        return
    found = kind_of(target)
    if found is None:
        raise OutputRefused(f"{shown}: {_what_it_is(target)}; {_replaces_only(kind)}")
    if found != kind:
        raise OutputRefused(f"{shown}: is a {NOUN[found]}, not a {NOUN[kind]}; name another folder")
    foreign = foreign_entries(target, kind)
    if foreign:
        listed = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise OutputRefused(
            f"{shown}: is a {NOUN[kind]} but also holds {listed}, which sourcing did not write; "
            "move them away or name another folder"
        )


def _check_place(target: Path, shown: str) -> None:
    """Refuse a link, the current folder (or one holding it), and a path under a file."""
    absolute = Path(os.path.abspath(target))
    here = Path.cwd().resolve()
    if target.is_symlink():
        raise OutputRefused(f"{shown}: is a symbolic link; name a folder that is not a link")
    if absolute.resolve() == here or here.is_relative_to(absolute.resolve()):
        raise OutputRefused(f"{shown}: is the current folder or holds it; name a new folder")
    for parent in absolute.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputRefused(f"{shown}: {parent} is a file, so no folder can be made there")
            break


def check_new_folder(target: str | Path, written_by: str, option: str = "") -> None:
    """Raise :class:`OutputRefused` unless ``target`` is absent or an empty folder: a folder
    that holds anything is never replaced, whoever wrote it (for outputs, such as a scenario
    folder, that a person goes on to edit)."""
    target = Path(target)
    shown = f"{option} {target}" if option else str(target)
    _check_place(target, shown)
    if not target.exists():
        return
    if not target.is_dir():
        raise OutputRefused(f"{shown}: is a file; {written_by} writes a new folder there")
    names = sorted(entry.name for entry in os.scandir(target))
    if names:
        listed = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise OutputRefused(
            f"{shown}: is not empty ({listed}); {written_by} writes only a new or empty folder "
            "and replaces none: remove it yourself or name a new folder"
        )


def _what_it_is(folder: Path) -> str:
    if (folder / "scenario.toml").exists():
        return "is a scenario folder (it holds scenario.toml)"
    earlier = _read_marker(folder / MARKER_FILE[RESULT])
    if isinstance(earlier, dict) and {"scenario", "status"} <= earlier.keys():
        return (
            "looks like a result folder of an earlier version (its summary.json has no format "
            "marker); remove it yourself if you no longer need it"
        )
    names = sorted(entry.name for entry in os.scandir(folder))
    listed = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    return f"holds files sourcing did not write ({listed})"


def _replaces_only(kind: str) -> str:
    return f"{WRITTEN_BY[kind]} replaces only an empty folder or an earlier {NOUN[kind]}"


# --- locks -----------------------------------------------------------------------------------

_HELD: dict[str, tuple[int, int]] = {}  # lock path -> (file descriptor, depth): re-entrant


def _sibling(target: Path, suffix: str) -> Path:
    return target.parent / f".{target.name}{suffix}"


@contextmanager
def locked(target: str | Path) -> Iterator[None]:
    """Hold the lock on ``target`` (re-entrant within a process); :class:`OutputBusy` at once
    when another process holds it."""
    target = Path(os.path.abspath(target))
    path = _sibling(target, _LOCK)
    key = str(path)
    if key in _HELD:
        fd, depth = _HELD[key]
        _HELD[key] = (fd, depth + 1)
        try:
            yield
        finally:
            _HELD[key] = (fd, _HELD[key][1] - 1)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, target)
    _HELD[key] = (fd, 1)
    try:
        yield
    finally:
        del _HELD[key]
        path.unlink(missing_ok=True)  # still ours: waiters re-check the inode (see _acquire)
        os.close(fd)


def _acquire(path: Path, target: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        if not _try_lock(fd):
            holder = _holder(fd)
            os.close(fd)
            raise OutputBusy(
                f"{target}: another sourcing run{holder} is writing there; wait for it to "
                "finish or name another folder"
            )
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:  # else the holder removed the file as we opened it: lock the new one
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError, AttributeError):
        return ""
    return f" (process {text})" if text.isdigit() else ""


# --- writing ---------------------------------------------------------------------------------


@contextmanager
def claimed(target: str | Path, kind: str, option: str = "--out") -> Iterator[Path]:
    """Check ``target`` and hold its lock (for a command that works before it writes); repairs
    what killed runs left beside it. Yields the target."""
    target = Path(target)
    check_target(target, kind, option)
    with locked(target):
        check_target(target, kind, option)  # it may have changed before the lock was taken
        _clean_up(Path(os.path.abspath(target)))
        yield target


@contextmanager
def replacing(target: str | Path, kind: str, option: str = "--out") -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; once the block completes it takes
    ``target``'s place in one step (checked and locked as :func:`claimed` does)."""
    with claimed(target, kind, option) as target:
        absolute = Path(os.path.abspath(target))
        with _staged(absolute, lambda staging: _install(staging, absolute)) as staging:
            yield staging


@contextmanager
def creating(target: str | Path, written_by: str, option: str = "") -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; once the block completes it is renamed
    to ``target``, which must be absent or an empty folder (:func:`check_new_folder`, checked
    before and under the lock). A folder that gained files meanwhile makes the rename fail, so
    nothing is ever replaced; a run killed before it leaves only the staging folder, which the
    next run to ``target`` removes."""
    target = Path(target)
    check_new_folder(target, written_by, option)
    with locked(target):
        check_new_folder(target, written_by, option)  # it may have changed before the lock
        absolute = Path(os.path.abspath(target))
        _remove_staging(absolute)  # only its own leftovers: it never sets a folder aside
        install = partial(_rename_new, target=absolute, written_by=written_by, option=option)
        with _staged(absolute, install) as staging:
            yield staging


@contextmanager
def _staged(target: Path, install: Callable[[Path], None]) -> Iterator[Path]:
    """An empty staging folder beside ``target``, handed to ``install`` once the block
    completes, removed if anything fails."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}{_STAGING}", dir=target.parent))
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; outputs are shared
    try:
        yield staging
        install(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _rename_new(staging: Path, target: Path, written_by: str, option: str) -> None:
    try:
        os.rename(staging, target)  # replaces only an empty folder (rename(2))
    except OSError as error:
        if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise
        check_new_folder(target, written_by, option)  # says what is there now
        raise OutputRefused(f"{target}: appeared while {written_by} was writing") from error


def _remove_staging(target: Path) -> None:
    """Remove the staging folders a killed run to ``target`` left behind."""
    for entry in os.scandir(target.parent):
        if entry.is_dir(follow_symlinks=False) and entry.name.startswith(
            f".{target.name}{_STAGING}"
        ):
            shutil.rmtree(entry.path, ignore_errors=True)


def _clean_up(target: Path) -> None:
    """Restore a result that a run killed mid-swap left aside; remove stale staging folders."""
    leftovers = sorted(
        (entry for entry in os.scandir(target.parent) if entry.is_dir(follow_symlinks=False)),
        key=lambda entry: entry.stat(follow_symlinks=False).st_mtime,
    )
    aside = [Path(e.path) for e in leftovers if e.name.startswith(f".{target.name}{_OLD}")]
    if aside and not os.path.lexists(target):
        os.rename(aside.pop(), target)  # the newest result moved aside is the current one
    _remove_staging(target)
    for path in aside:
        shutil.rmtree(path, ignore_errors=True)


def _install(staging: Path, target: Path) -> None:
    if not os.path.lexists(target) or (target.is_dir() and not any(target.iterdir())):
        os.replace(staging, target)  # rename(2) replaces an empty folder in one step
        return
    if exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # it now holds the previous result
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}{_OLD}", dir=target.parent))
    os.replace(target, aside)  # onto the empty folder mkdtemp made
    os.replace(staging, target)
    shutil.rmtree(aside, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux's ``renameat2``); ``False`` where that is unsupported."""
    function = getattr(_libc(), "renameat2", None)
    if function is None:
        return False
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no C library to load (not on Linux or macOS)
        return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_file_atomic(path: Path, data: bytes, replace: bool = True) -> None:
    """Write a sibling temporary file, then rename it over ``path`` (readers never see half).
    With ``replace`` False the file takes ``path`` only if nothing is there (a hard link, which
    fails on an existing name), so a file that appeared since it was checked is never replaced:
    :class:`OutputRefused`."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private
        if replace:
            os.replace(temporary, path)
        else:
            _take_new_name(Path(temporary), path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _take_new_name(temporary: Path, path: Path) -> None:
    """Give ``temporary`` the name ``path`` only if no file has it."""
    try:
        os.link(temporary, path)  # atomic, and refused if the name is taken
    except FileExistsError:
        raise OutputRefused(f"{path}: appeared while it was being written; not replaced") from None
    except OSError:  # no hard links here: claim the name first, then rename onto the claim
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            raise OutputRefused(
                f"{path}: appeared while it was being written; not replaced"
            ) from None
        os.replace(temporary, path)
        return
    temporary.unlink()


# --- single files ----------------------------------------------------------------------------

# The first line of a model file we write: a comment in both formats, which marks it as ours.
MODEL_MARK = {
    ".mps": b"* written by sourcing solve --write-model\n",
    ".lp": b"\\ written by sourcing solve --write-model\n",
}


def check_model_file(path: str | Path) -> None:
    """Raise :class:`OutputRefused` unless ``path`` is absent or a model file we wrote."""
    path = Path(path)
    mark = MODEL_MARK.get(path.suffix.lower())
    if mark is None:
        raise OutputRefused(f"--write-model {path}: must end in .mps or .lp")
    check_own_file(path, mark, "--write-model", "sourcing")


def write_marked_file(path: Path, write) -> None:
    """Write ``path`` through ``write(temporary_path)`` and put our mark on its first line;
    the file appears complete or not at all."""
    mark = MODEL_MARK[path.suffix.lower()]
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent
    )
    os.close(handle)
    try:
        write(Path(temporary))
        body = Path(temporary).read_bytes()
        write_file_atomic(path, mark + body)
    finally:
        Path(temporary).unlink(missing_ok=True)


def check_own_file(path: str | Path, first_line: bytes, option: str, written_by: str) -> None:
    """Raise :class:`OutputRefused` unless ``path`` is absent or a file that ``written_by``
    wrote, known by its ``first_line`` (a table's header row, say)."""
    path = Path(path)
    shown = f"{option} {path}"
    if path.is_symlink():
        raise OutputRefused(f"{shown}: is a symbolic link; name a file that is not a link")
    if not os.path.lexists(path):
        if path.parent.exists() and not path.parent.is_dir():
            raise OutputRefused(f"{shown}: {path.parent} is not a folder")
        return
    if not path.is_file():
        raise OutputRefused(f"{shown}: is not a file; name a new file")
    with path.open("rb") as file:
        first = file.readline(len(first_line) + 1)
    if first != first_line:
        raise OutputRefused(
            f"{shown}: exists and was not written by {written_by}; it is not replaced: "
            "name a new file"
        )
