#!/usr/bin/env bash
# Every test, as CI runs them (npm test). Two passes:
# - in-process tests (the sans-IO cores on a virtual clock, the simulator, the enclave, codecs, loopback sockets)
#   two files at a time: they assert no wall-clock bound that a second file could stretch past;
# - tests that launch node processes and testnets, one file at a time, as their timing needs.
# Both passes always run; the exit status is non-zero if either failed.
# --test-force-exit ends a file once its tests are done, even with handles left open; test/helpers/blocking-stdio.mjs
# keeps that exit from cutting off the end of the file's report.
set -uo pipefail
cd "$(dirname "$0")/.."
PARALLEL_DIRS=(test/propagation test/sim test/tee test/p2p test/linkemu test/shared test/chaos)
RUNNER=(node --import tsx --import ./test/helpers/blocking-stdio.mjs --test --test-force-exit --test-timeout=900000)
parallel=$(find "${PARALLEL_DIRS[@]}" -name '*.test.ts' | LC_ALL=C sort)
serial=$(find test -name '*.test.ts' | LC_ALL=C sort | grep -vxF -f <(printf '%s\n' $parallel))
# shellcheck disable=SC2086 # file lists: one path per word
"${RUNNER[@]}" --test-concurrency=2 $parallel
first=$?
# shellcheck disable=SC2086
"${RUNNER[@]}" --test-concurrency=1 $serial
second=$?
[ "$first" -eq 0 ] && [ "$second" -eq 0 ]
