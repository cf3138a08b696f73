#!/usr/bin/env bash
# A local stand-in for a batch system's submit command (qsub, sbatch), for tests/test_cluster.py.
# Snakemake's cluster-generic executor runs it once per job as
#
#   bash submit.sh OUTDIR RULE JOBSCRIPT
#
# OUTDIR and RULE come from --cluster-generic-submit-cmd ("{rule}" is filled in by Snakemake), JOBSCRIPT is
# appended by Snakemake. Like qsub, it queues the job script (here: starts it as a background process of
# its own, with its output in OUTDIR/<jobscript name>.out) and prints the job id (here: the process id).
# Every submission is appended to OUTDIR/submissions.tsv as "<job id><TAB><rule>".
set -euo pipefail

outdir=$1
rule=$2
jobscript=$3

bash "$jobscript" > "$outdir/$(basename "$jobscript").out" 2>&1 < /dev/null &
jobid=$!
printf '%s\t%s\n' "$jobid" "$rule" >> "$outdir/submissions.tsv"
echo "$jobid"
