#!/usr/bin/env bash
# The long fuzz run, outside CI: mutants of the test models through the generator and the analyzer (see
# tests/Unrolled.Generator.Tests/FuzzRun.cs). Usage: bash tests/fuzz.sh [mutants=10000] [seconds=3600] [seed=1]
# Prints the figures (mutants, failures, analyzer times, the slowest mutant) and writes them with the slowest and any
# failing mutants to TestResults/fuzz-report.txt. A crash of the test host (which a stack overflow would be) makes
# dotnet test report the run as aborted, and this script exits non-zero.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p TestResults
export UNROLLED_FUZZ_MUTANTS="${1:-10000}" UNROLLED_FUZZ_SECONDS="${2:-3600}" UNROLLED_FUZZ_SEED="${3:-1}"
export UNROLLED_FUZZ_REPORT="$PWD/TestResults/fuzz-report.txt"
rm -f "$UNROLLED_FUZZ_REPORT" "$UNROLLED_FUZZ_REPORT.current"
dotnet test tests/Unrolled.Generator.Tests -c Release --filter "FullyQualifiedName~FuzzRun" --logger "console;verbosity=normal" 2>&1 \
  | grep -E "mutants [0-9]+|Passed!|Failed!|Aborted|crashed|Stack overflow|^   at " | awk '!seen[$0]++' | head -80
status=${PIPESTATUS[0]}
[ -f "$UNROLLED_FUZZ_REPORT" ] && head -1 "$UNROLLED_FUZZ_REPORT"
if [ -f "$UNROLLED_FUZZ_REPORT.current" ]; then
  echo "the test host died on this mutant (kept in $UNROLLED_FUZZ_REPORT.current):"; head -c 3000 "$UNROLLED_FUZZ_REPORT.current"; echo
fi
exit "$status"
