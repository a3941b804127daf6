# SPDX-License-Identifier: GPL-3.0-or-later
"""fuzz: every fuzz target's corpus and random mutations through the standalone runner
(tests/fuzz/fuzz-runner.c), one table row per target with its executions and crashes. The
libFuzzer campaigns (tests/fuzz/run-campaign.sh) are run by hand; their figures are in
docs/reliability.md.
"""
import os
import re
import subprocess

# Mutations per target: the short run is a smoke test beside the meson tests fuzz-*-corpus.
SIZES = {
    "short": {"agent-frame": 20000, "agent-messages": 20000, "config": 5000, "qmp": 2000,
              "cli-options": 5000},
    "full": {"agent-frame": 5000000, "agent-messages": 5000000, "config": 1000000,
             "qmp": 200000, "cli-options": 1000000},
}


def run(sc, env, builddir, srcdir):
    for target, mutations in sc.sized(SIZES).items():
        runner = os.path.join(builddir, "tests", "fuzz-%s-runner" % target)
        corpus = os.path.join(srcdir, "tests", "fuzz", "corpus", target)
        crash_file = os.path.join(env.tmp, "crash-%s" % target)
        e = dict(os.environ, HOSTVISOR_SCHEMA_DIR=os.path.join(srcdir, "resources"),
                 HV_FUZZ_CRASH_FILE=crash_file)
        p = subprocess.run([runner, "--mutations", str(mutations), corpus], env=e,
                           capture_output=True, timeout=6 * 3600)
        out = p.stdout.decode(errors="replace")
        m = re.search(r"(\d+) corpus files and (\d+) mutations", out)
        execs = int(m.group(1)) + int(m.group(2)) if m else 0
        if not m:
            corpus_files = len(os.listdir(corpus))
            execs = corpus_files + mutations   # at most; the crash ended the run
        crashed = p.returncode != 0
        detail = p.stderr.decode(errors="replace")[-1500:]
        if crashed and os.path.exists(crash_file):
            with open(crash_file, "rb") as f:
                detail += "\ninput: %r" % f.read()[:300]
        sc.check(not crashed, "fuzz-%s: corpus and %d mutations run cleanly" % (target, mutations),
                 detail)
        sc.iterations += execs if not crashed else 0
        sc.extra_rows.append(["  fuzz-" + target, "",
                              ("%d execs" % execs) if not crashed else "crashed", "-",
                              "%d crash" % (1 if crashed else 0), "-", "-", "-", "-", "-", "-",
                              "-"])
