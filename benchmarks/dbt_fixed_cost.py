"""What running the analytics through dbt costs before any model does real work.

    .venv/bin/python -m benchmarks.dbt_fixed_cost --warehouse DIR [--repeat 3] [--json out.json]

DIR is an existing warehouse (``workflows.duckdb`` inside, e.g. from ``workflow-analytics demo``
with ``WAREHOUSE_DIR=DIR``); it is copied to a temporary directory first, so the probe's tables
never land in it. The probe project (``benchmarks/dbt_probe``) has two staging views and one
incremental mart, so every "nothing new" figure below is dbt's own cost, the part that does not
shrink with incremental models. Each part runs in a fresh child process, as a nightly run would,
``--repeat`` times; the fastest run is reported with its CPU time (user + system, children
included), which says more than wall time on a shared machine.

Parts:
- ``import dagster``, ``import dagster + dagster_dbt``, ``import dbt.cli.main``: start-up;
  dagster-dbt imports dbt-core when it is imported, so every process that loads the
  definitions pays for dbt, not only the runs that build models;
- ``dbt parse`` from scratch (what a packaged manifest saves at run time);
- ``dbt build`` with nothing new, partial parse warm: the subprocess dagster-dbt runs;
- in-process ``dbtRunner`` build with the manifest already parsed (the cheapest dbt can be);
- ``dg.materialize`` of ``@dbt_assets`` with nothing new (dagster-dbt end to end).

Needs the ``bench`` extra (``requirements-bench.lock``), which pins dbt-core, dbt-duckdb and
dagster-dbt.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PROBE = Path(__file__).resolve().parent / "dbt_probe"
BIN = Path(sys.executable).parent

IN_PROCESS = """
import time
from dbt.cli.main import dbtRunner
parsed = dbtRunner().invoke(["parse", "-q"])
start = time.perf_counter()
result = dbtRunner(manifest=parsed.result).invoke(["build", "-q"])
assert result.success, result.exception
print(time.perf_counter() - start)
"""

DAGSTER_DBT = """
import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
project = DbtProject(project_dir={probe!r}, profiles_dir={probe!r})

@dbt_assets(manifest=project.manifest_path)
def probe(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()

result = dg.materialize([probe], resources={{"dbt": DbtCliResource(project_dir=project)}})
assert result.success
"""


@dataclass
class Part:
    name: str
    wall_s: float
    cpu_s: float
    note: str = ""


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=PROBE, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed:\n{done.stdout[-2000:]}{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout.strip()


def _best(name: str, args: list[str], env: dict[str, str], repeat: int, note: str = "") -> Part:
    runs = [_run(args, env) for _ in range(repeat)]
    wall, cpu, out = min(runs, key=lambda r: r[1])
    if name.startswith("in-process"):
        note = f"build alone {float(out.splitlines()[-1]):.2f} s wall"
    return Part(name, round(wall, 2), round(cpu, 2), note)


def measure(warehouse: Path, repeat: int) -> list[Part]:
    with tempfile.TemporaryDirectory(prefix="dbt-probe-") as tmp:
        database = Path(tmp) / "workflows.duckdb"
        shutil.copyfile(warehouse / "workflows.duckdb", database)
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DBT_PROBE_DUCKDB": str(database),
            "DBT_PROFILES_DIR": str(PROBE),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_TARGET_PATH": str(Path(tmp) / "target"),
        }
        py = str(BIN / "python")
        dbt = str(BIN / "dbt")
        parts = [
            _best("import dagster", [py, "-c", "import dagster"], env, repeat),
            _best(
                "import dagster + dagster_dbt",
                [py, "-c", "import dagster, dagster_dbt"],
                env,
                repeat,
            ),
            _best("import dbt.cli.main", [py, "-c", "import dbt.cli.main"], env, repeat),
            _best(
                "dbt parse, no partial parse",
                [dbt, "parse", "-q", "--no-partial-parse"],
                env,
                repeat,
            ),
        ]
        _run([dbt, "build", "-q"], env)  # first load: creates the mart
        parts.append(_best("dbt build, nothing new", [dbt, "build", "-q"], env, repeat))
        parts.append(_best("in-process dbtRunner, parsed", [py, "-c", IN_PROCESS], env, repeat))
        # dagster-dbt reads the manifest from the project's own target directory.
        _run([dbt, "parse", "-q", "--target-path", str(PROBE / "target")], env)
        script = DAGSTER_DBT.format(probe=str(PROBE))
        parts.append(_best("dagster-dbt materialize, nothing new", [py, "-c", script], env, repeat))
        shutil.rmtree(PROBE / "target", ignore_errors=True)
        shutil.rmtree(PROBE / "logs", ignore_errors=True)
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    parts = measure(args.warehouse, args.repeat)
    print(f"load average at start {load:.1f} on {os.cpu_count()} CPUs; fastest of {args.repeat}")
    for part in parts:
        print(f"{part.name:42s} {part.wall_s:7.2f} s wall {part.cpu_s:7.2f} s CPU  {part.note}")
    if args.json:
        args.json.write_text(json.dumps([asdict(p) for p in parts], indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
