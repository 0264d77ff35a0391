"""Run the whole test suite N times in a row while CPU burners keep every core busy.

Proof that the suite does not depend on the machine being idle (issue 12): by default
three runs of the README's test command, each beside one busy-loop process per core
(plain Python, or ``stress-ng --cpu N`` with ``--stress-ng`` when it is installed). Each
run's result line, exit code, wall time and the load average around it are printed, and
its full output is kept in ``--log-dir``. Exit code 0 only if every run passed.

    .venv/bin/python scripts/run_under_load.py                  # 3 runs, one burner per core
    .venv/bin/python scripts/run_under_load.py --runs 1 --burners 0   # idle timing
    .venv/bin/python scripts/run_under_load.py -- tests/test_cli.py -x  # other pytest args

It starts and stops only its own processes (the burners, by their pid).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The README's test command, without the interpreter (keep the two in step), verbose so the
# log names each test as it ends.
README_PYTEST_ARGS = ["-n", "auto", "-v"]
BUSY_LOOP = "while True:\n    pass\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; arguments after ``--`` replace the README's pytest arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="how many full runs, one after another")
    parser.add_argument(
        "--burners", type=int, default=os.cpu_count() or 2,
        help="busy processes to start (default: one per core; 0 for an idle run)",
    )  # fmt: skip
    parser.add_argument(
        "--stress-ng", action="store_true", help="burn with stress-ng --cpu N instead of Python"
    )
    parser.add_argument(
        "--log-dir", type=Path, default=Path("/tmp/stress-suite"),
        help="where each run's full output goes (default: /tmp/stress-suite)",
    )  # fmt: skip
    parser.add_argument("pytest_args", nargs="*", help="pytest arguments (after --)")
    return parser.parse_args(argv)


def start_burners(count: int, use_stress_ng: bool) -> list[subprocess.Popen[bytes]]:
    """``count`` CPU-bound processes (or one stress-ng with ``count`` workers)."""
    if count <= 0:
        return []
    if use_stress_ng:
        stress_ng = shutil.which("stress-ng")
        if stress_ng is None:
            sys.exit("stress-ng is not installed (apt-get install stress-ng), or drop --stress-ng")
        return [subprocess.Popen([stress_ng, "--cpu", str(count), "--quiet"])]
    return [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(count)]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Terminate our own burners (by their handles) and reap them."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def burning(count: int, use_stress_ng: bool):  # type: ignore[no-untyped-def]
    """Keep ``count`` burners running for the duration of the block."""
    burners = start_burners(count, use_stress_ng)
    try:
        yield burners
    finally:
        stop(burners)


def load_average() -> str:
    """The 1-minute load average, as ``uptime`` shows it."""
    return f"{os.getloadavg()[0]:.1f}"


def result_line(log: Path) -> str:
    """Pytest's closing ``N passed, M failed in S`` line from a run's output."""
    lines = [line.strip("= \n") for line in log.read_text(errors="replace").splitlines()]
    finals = [line for line in lines if " in " in line and ("passed" in line or "failed" in line)]
    return finals[-1] if finals else "(no result line: see the log)"


def run_suite(number: int, pytest_args: list[str], log_dir: Path) -> tuple[int, float]:
    """One full run of ``python -m pytest ARGS``; prints and returns (exit code, seconds)."""
    log = log_dir / f"run-{number}.log"
    before = load_average()
    started = time.monotonic()
    with open(log, "wb") as out:
        suite = subprocess.Popen(
            [sys.executable, "-m", "pytest", *pytest_args],
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            code = suite.wait()
        finally:  # interrupted: let pytest stop its workers and servers itself
            if suite.poll() is None:
                suite.terminate()
                suite.wait()
    seconds = time.monotonic() - started
    print(
        f"run {number}: exit {code}, {seconds / 60:.1f} min ({seconds:.0f} s), "
        f"load {before} -> {load_average()}: {result_line(log)}  [{log}]",
        flush=True,
    )
    return code, seconds


def main(argv: list[str] | None = None) -> int:
    """Run the suite ``--runs`` times beside the burners; 0 only if every run passed."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the burners are stopped
    pytest_args = args.pytest_args or README_PYTEST_ARGS
    args.log_dir.mkdir(parents=True, exist_ok=True)
    print(
        f"{args.runs} run(s) of: python -m pytest {' '.join(pytest_args)}\n"
        f"beside {args.burners} CPU burner(s) on {os.cpu_count()} core(s); load now {load_average()}",
        flush=True,
    )
    codes = []
    with burning(args.burners, args.stress_ng):
        for number in range(1, args.runs + 1):
            codes.append(run_suite(number, pytest_args, args.log_dir)[0])
    green = sum(code == 0 for code in codes)
    print(f"{green} of {len(codes)} runs green")
    return 0 if green == len(codes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
