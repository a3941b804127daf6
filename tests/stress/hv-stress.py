#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""hv-stress.py: Hostvisor's reliability suite. Runs the scenarios of tests/stress/ against the
real engine and QEMU (TCG), prints TAP while it goes and one table of figures at the end, and
exits non-zero on any failed check.

    hv-stress.py --builddir BUILD [--short | --full] [--scale F] [--only NAME,...]
                 [--table FILE] [--keep]

--short is CI's size (about 5-8 minutes on 2 cores), --full the release run (hours); see
docs/reliability.md for what each scenario proves and the figures of the latest runs.
"""
import argparse
import os
import shutil
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import scenario_client_calls  # noqa: E402
import scenario_config_crash  # noqa: E402
import scenario_cycles  # noqa: E402
import scenario_disk_full  # noqa: E402
import scenario_engine_kill  # noqa: E402
import scenario_fuzz  # noqa: E402
import scenario_hostile  # noqa: E402
import scenario_start_steps  # noqa: E402

# In the order they run: the quick ones first, so a broken build shows at once.
SCENARIOS = [
    ("hostile-files", scenario_hostile),
    ("config-crash", scenario_config_crash),
    ("start-steps", scenario_start_steps),
    ("cycles", scenario_cycles),
    ("client-calls", scenario_client_calls),
    ("disk-full", scenario_disk_full),
    ("engine-kill", scenario_engine_kill),
    ("fuzz", scenario_fuzz),
]


def fmt_pair(pair, unit=""):
    if pair is None:
        return "-"
    before, after = pair
    if before is None and after is None:
        return "-"
    if before == after:
        return "%s%s" % (before, unit)
    return "%s→%s%s" % (before, after, unit)


COLUMNS = ["scenario", "size", "iterations", "crash points", "checks failed", "engine fds",
           "threads", "RSS MiB", "run-dir entries", "zombies", "leftover procs", "time"]


def table_rows(results):
    rows = []
    for sc in results:
        rss = sc.figures.get("rss_kib")
        rss_mib = None if rss is None else tuple(
            None if v is None else round(v / 1024, 1) for v in rss)
        rows.append([
            sc.name, sc.size if sc.scale == 1.0 else "%s×%g" % (sc.size, sc.scale),
            "skipped" if sc.skipped else str(sc.iterations),
            str(sc.crash_points) if sc.crash_points else "-",
            "%d/%d" % (sc.failures, sc.checks),
            fmt_pair(sc.figures.get("fds")),
            fmt_pair(sc.figures.get("threads")),
            fmt_pair(rss_mib),
            fmt_pair(sc.figures.get("run_dir")),
            str(sc.zombies),
            str(sc.leftovers),
            "%ds" % round(sc.seconds),
        ])
        rows.extend(sc.extra_rows)
    return rows


def print_table(rows, out):
    widths = [max(len(r[i]) for r in [COLUMNS] + rows) for i in range(len(COLUMNS))]
    line = "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths))
    out.write("# " + line + "\n")
    for r in rows:
        out.write("# " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "\n")


def markdown_table(rows):
    text = "| " + " | ".join(COLUMNS) + " |\n"
    text += "|" + "---|" * len(COLUMNS) + "\n"
    for r in rows:
        text += "| " + " | ".join(r) + " |\n"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builddir", required=True)
    parser.add_argument("--srcdir", default=os.path.dirname(os.path.dirname(HERE)))
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--short", dest="size", action="store_const", const="short")
    size.add_argument("--full", dest="size", action="store_const", const="full")
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every iteration count (e.g. 0.1 for a tenth of --full)")
    parser.add_argument("--table", help="also write the table (Markdown) to this file")
    parser.add_argument("--keep", action="store_true", help="keep each scenario's directory")
    args = parser.parse_args()
    args.size = args.size or "short"
    builddir = os.path.abspath(args.builddir)
    srcdir = os.path.abspath(args.srcdir)

    wanted = [n for n, _m in SCENARIOS]
    if args.only:
        wanted = args.only.split(",")
        unknown = set(wanted) - {n for n, _m in SCENARIOS}
        if unknown:
            parser.error("unknown scenario: %s" % ", ".join(sorted(unknown)))

    tap = harness.Tap()
    mode = args.size if args.scale == 1.0 else "%s ×%g" % (args.size, args.scale)
    tap.diag("reliability suite, %s mode, on %s" % (mode, os.uname().nodename))
    results = []
    for name, module in SCENARIOS:
        if name not in wanted:
            continue
        sc = harness.Scenario(tap, name, args.size, args.scale)
        env = None
        tap.diag("--- %s" % name)
        try:
            env = module.make_env(builddir, srcdir) if hasattr(module, "make_env") else \
                harness.Env(builddir, srcdir, name)
            module.run(sc, env, builddir, srcdir)
        except harness.Failure as exc:
            sc.check(False, "the scenario ran to its end", str(exc))
        except Exception:  # a bug in the suite or a hung engine: say where, go on
            sc.check(False, "the scenario ran to its end", traceback.format_exc())
        finally:
            if env is not None:
                leftovers = env.close(keep=True)
                sc.leftovers += len(leftovers)
                sc.check(not leftovers, "no QEMU or virtiofsd left once the engine has exited",
                         "killed: %s" % leftovers)
                if hasattr(module, "cleanup"):
                    module.cleanup(env)
                if not args.keep:
                    env.kill_engine()   # one a late client may have started meanwhile
                    shutil.rmtree(env.tmp, ignore_errors=True)
                else:
                    tap.diag("kept %s" % env.tmp)
            sc.seconds = time.monotonic() - sc.started
        results.append(sc)

    rows = table_rows(results)
    tap.diag("")
    tap.diag("Figures (%s mode; before→after where a figure changed):" % mode)
    print_table(rows, sys.stdout)
    if args.table:
        with open(args.table, "w") as f:
            f.write(markdown_table(rows))
    tap.plan()
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
