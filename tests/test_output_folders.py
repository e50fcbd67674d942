"""Output paths: a command replaces only what it wrote, holds a lock while it works, swaps the
new folder in whole, and repairs what a killed run left behind."""

from __future__ import annotations

import fcntl
import hashlib
import json
import multiprocessing
import os
from pathlib import Path

import pytest
from helpers import run

import optimizer.cli.solve_command
import optimizer.common.output_paths as folders
from optimizer.cli.main import main
from optimizer.common.output_paths import OutputRefused, check_target, exchange, kind_of
from optimizer.results.compare import PlanView
from optimizer.results.writing import write_comparison

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "valid-small"


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with a digest of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def scenario(tmp_path) -> Path:
    """A scenario folder with a user's note beside its tables."""
    folder = tmp_path / "scenario"
    folder.mkdir()
    for path in SMALL.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "notes.txt").write_text("my notes")
    return folder


@pytest.fixture
def result(tmp_path, capsys) -> Path:
    out = tmp_path / "result"
    assert run(capsys, "solve", SMALL, "--out", out)[0] == 0
    return out


# --- refusals: nothing touched, exit 2, one line ------------------------------------------


@pytest.mark.parametrize("command", ["solve", "compare"])
def test_the_scenario_folder_itself_is_refused_and_untouched(scenario, command, capsys):
    before = tree(scenario.parent)
    args = [scenario] if command == "solve" else [scenario, scenario]
    code, out, err = run(capsys, command, *args, "--out", scenario)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "is a scenario folder (it holds scenario.toml)" in err
    assert tree(scenario.parent) == before


def test_a_file_is_refused_and_untouched(scenario, tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    code, _, err = run(capsys, "solve", scenario, "--out", notes)
    assert code == 2 and "is a file" in err
    assert notes.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "scenario"]


@pytest.mark.parametrize("out", [".", ".."])
def test_the_current_folder_and_its_parents_are_refused(
    scenario, tmp_path, capsys, monkeypatch, out
):
    work = tmp_path / "empty" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)  # empty, so only the rule about the current folder can refuse it
    code, _, err = run(capsys, "solve", scenario, "--out", out)
    assert code == 2 and "is the current folder or holds it" in err
    assert list(work.iterdir()) == [] and list(work.parent.iterdir()) == [work]


def test_a_folder_holding_other_files_is_refused(scenario, tmp_path, capsys):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "thesis.docx").write_text("years of work")
    code, _, err = run(capsys, "compare", SMALL, scenario, "--out", other)
    assert code == 2 and "holds files sourcing did not write (thesis.docx)" in err
    assert [p.name for p in other.iterdir()] == ["thesis.docx"]


@pytest.mark.slow
def test_a_result_folder_with_a_foreign_file_is_refused(result, capsys):
    (result / "my-analysis.xlsx").write_text("mine")
    before = tree(result)
    code, _, err = run(capsys, "solve", SMALL, "--out", result)
    assert code == 2 and "also holds my-analysis.xlsx, which sourcing did not write" in err
    assert tree(result) == before


@pytest.mark.slow
def test_a_folder_of_another_kind_is_refused(result, tmp_path, capsys):
    before = tree(result)
    code, _, err = run(capsys, "compare", SMALL, SMALL, "--out", result)
    assert code == 2 and "is a result folder, not a comparison folder" in err
    assert tree(result) == before


@pytest.mark.slow
def test_a_symbolic_link_is_refused(result, tmp_path, capsys):
    link = tmp_path / "link"
    link.symlink_to(result, target_is_directory=True)
    code, _, err = run(capsys, "solve", SMALL, "--out", link)
    assert code == 2 and "is a symbolic link" in err


def test_a_folder_whose_summary_lacks_the_marker_is_not_ours(tmp_path):
    folder = tmp_path / "looks-like-ours"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps({"scenario": "x", "status": "optimal"}))
    assert kind_of(folder) is None
    with pytest.raises(OutputRefused, match="looks like a result folder of an earlier version"):
        check_target(folder, "result")


def test_report_writes_only_into_our_folders(tmp_path, capsys):
    folder = tmp_path / "not-ours"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps({"scenario": "x"}))
    code, _, err = run(capsys, "report", folder)
    assert code == 2 and "not a result folder written by `sourcing solve`" in err
    assert [p.name for p in folder.iterdir()] == ["summary.json"]


# --- replacing our own folders -------------------------------------------------------------


@pytest.mark.slow
def test_our_result_folder_is_replaced_whole_with_its_marker(result, capsys):
    assert run(capsys, "report", result)[0] == 0
    assert (result / "report.html").exists() and (result / "charts").is_dir()
    code, out, _ = run(capsys, "solve", SMALL, "--out", result)
    assert code == 0 and out.count("Written:") == 1
    assert not (result / "report.html").exists()  # it described the earlier plan
    assert json.loads((result / "summary.json").read_text())["format"] == folders.FORMAT["result"]
    assert [p.name for p in result.parent.iterdir() if p.name.startswith(".")] == []


def test_a_comparison_is_replaced_and_writes_no_plan_outside_its_folder(tmp_path):
    plan = PlanView("../../escaped", {"scenario": "x"}, {})
    other = PlanView("fine", {"scenario": "y"}, {})
    comparison = type("C", (), {})()  # the writer reads only these attributes
    comparison.plans, comparison.baseline = [plan.name, other.name], other.name
    table = __import__("pandas").DataFrame({"a": [1]})
    comparison.headline = comparison.detail = comparison.inputs = table
    with pytest.raises(OutputRefused, match="cannot be a folder name"):
        write_comparison(comparison, [plan, other], tmp_path / "cmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_write_model_file_is_replaced_only_if_we_wrote_it(tmp_path, capsys):
    model = tmp_path / "model.lp"
    assert run(capsys, "solve", SMALL, "--out", tmp_path / "r", "--write-model", model)[0] == 0
    assert model.read_text().startswith("\\ written by sourcing")
    assert run(capsys, "solve", SMALL, "--out", tmp_path / "r", "--write-model", model)[0] == 0
    theirs = tmp_path / "theirs.mps"
    theirs.write_text("NAME their model\n")
    code, _, err = run(capsys, "solve", SMALL, "--out", tmp_path / "r2", "--write-model", theirs)
    assert code == 2 and "was not written by sourcing" in err
    assert theirs.read_text() == "NAME their model\n" and not (tmp_path / "r2").exists()


def test_template_refuses_a_folder(tmp_path, capsys):
    folder = tmp_path / "book.xlsx"
    folder.mkdir()
    code, _, err = run(capsys, "template", folder, "--force")
    assert code == 2 and "is not a plain file" in err and folder.is_dir()


# --- concurrent runs -----------------------------------------------------------------------


def hold_lock(target: Path, pid: int = 4242) -> int:
    """Take the target's lock as another process would (flock on a new open file)."""
    fd = os.open(target.parent / f".{target.name}.sourcing-lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, f"{pid}\n".encode())
    return fd


@pytest.mark.slow
def test_a_second_run_to_a_busy_target_is_refused_at_once(result, capsys):
    before = tree(result)
    fd = hold_lock(result)
    try:
        code, out, err = run(capsys, "solve", SMALL, "--out", result)
    finally:
        os.close(fd)
    assert code == 2 and "Written:" not in out
    assert "another sourcing run (process 4242) is writing there" in err
    assert tree(result) == before


@pytest.mark.slow
def test_the_lock_is_held_from_the_check_to_the_last_write(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    lock = tmp_path / ".out.sourcing-lock"
    seen = []
    solve = optimizer.cli.solve_command.solve

    def solve_and_probe(*args, **kwargs):
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen.append("free")
        except BlockingIOError:
            seen.append("held")
        finally:
            os.close(fd)
        return solve(*args, **kwargs)

    monkeypatch.setattr(optimizer.cli.solve_command, "solve", solve_and_probe)
    assert run(capsys, "solve", SMALL, "--out", out)[0] == 0
    assert seen == ["held"] and not lock.exists()


# --- killed runs ---------------------------------------------------------------------------


def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "new").touch()
    (b / "old").touch()
    assert exchange(a, b)
    assert [p.name for p in b.iterdir()] == ["new"] and [p.name for p in a.iterdir()] == ["old"]


@pytest.mark.slow
def test_staging_folders_of_killed_runs_are_removed_by_the_next_run(result, capsys):
    stale = result.parent / ".result.sourcing-staging-k1ll3d"
    stale.mkdir()
    (stale / "plan.csv").write_text("half written")
    unrelated = result.parent / ".result-notes"
    unrelated.mkdir()
    assert run(capsys, "solve", SMALL, "--out", result)[0] == 0
    assert not stale.exists() and unrelated.exists()


def _killed_between_the_renames(scenario: str, out: str) -> None:
    """In a child process: solve, but die (as if killed) right after the old folder moved."""
    folders.exchange = lambda a, b: False  # the fallback path: two renames
    real = os.replace

    def replace_then_die(source, target):
        real(source, target)
        if folders._OLD in os.fspath(target):
            os._exit(9)

    os.replace = replace_then_die
    main(["solve", scenario, "--out", out])


@pytest.mark.slow
def test_a_run_killed_between_the_two_renames_is_repaired_by_the_next(result, capsys):
    before = tree(result)
    context = multiprocessing.get_context("fork")
    child = context.Process(target=_killed_between_the_renames, args=(str(SMALL), str(result)))
    child.start()
    child.join()
    assert child.exitcode == 9
    assert not result.exists()  # the moment this fallback has; the next run repairs it
    aside = [p for p in result.parent.iterdir() if folders._OLD in p.name]
    assert len(aside) == 1 and tree(aside[0]) == before
    assert run(capsys, "solve", SMALL, "--out", result)[0] == 0
    assert tree(result).keys() == before.keys()
    assert [p.name for p in result.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.slow
def test_a_killed_run_with_exchange_never_leaves_the_target_missing(result, capsys, monkeypatch):
    """Killed just before the swap: the previous result is complete and in place."""
    before = tree(result)

    def die(staging, target):
        raise KeyboardInterrupt  # as Ctrl-C there would

    monkeypatch.setattr(folders, "_install", die)
    code, out, _ = run(capsys, "solve", SMALL, "--out", result)
    assert code == 130 and "Written:" not in out
    assert tree(result) == before


# --- sweeps --------------------------------------------------------------------------------

GRID = FIXTURES / "grid-lp.toml"


def test_a_sweep_refuses_a_scenario_folder_and_a_busy_folder(scenario, tmp_path, capsys):
    before = tree(scenario)
    code, _, err = run(capsys, "sweep", GRID, "--out", scenario, "--no-progress")
    assert code == 2 and "is a scenario folder" in err and tree(scenario) == before
    busy = tmp_path / "sweep"
    fd = hold_lock(busy)
    try:
        code, _, err = run(capsys, "sweep", GRID, "--out", busy, "--no-progress")
    finally:
        os.close(fd)
    assert code == 2 and "another sourcing run (process 4242) is writing there" in err
    assert not busy.exists()


def test_sweep_report_writes_only_into_a_sweep_folder(result, capsys):
    (result / "results.parquet").write_bytes(b"")  # a result folder is no sweep folder
    code, _, err = run(capsys, "sweep-report", result)
    assert code == 2 and "not a sweep results folder written by `sourcing sweep`" in err


@pytest.mark.parametrize("links", [True, False])
def test_a_file_written_without_replace_never_takes_an_existing_name(tmp_path, monkeypatch, links):
    import errno
    import os

    from optimizer.common import output_paths
    from optimizer.common.output_paths import OutputRefused, write_file_atomic

    if not links:  # a file system without hard links: the name is claimed with O_EXCL instead

        def no_link(*_args, **_kwargs):
            raise OSError(errno.EPERM, "no hard links here")

        monkeypatch.setattr(output_paths.os, "link", no_link)
    theirs = tmp_path / "book.xlsx"
    theirs.write_bytes(b"someone else's")  # appeared after the command checked the name
    with pytest.raises(OutputRefused, match="appeared while it was being written"):
        write_file_atomic(theirs, b"ours", replace=False)
    assert theirs.read_bytes() == b"someone else's"
    fresh = tmp_path / "new.xlsx"
    write_file_atomic(fresh, b"ours", replace=False)
    assert fresh.read_bytes() == b"ours"
    assert sorted(os.listdir(tmp_path)) == ["book.xlsx", "new.xlsx"]  # no temporary file left
