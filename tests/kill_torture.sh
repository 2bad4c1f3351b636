#!/bin/bash
# The long kill -9 torture: trains a small RNN for 200 steps, killing it with
# SIGKILL at random moments KILLS times (resuming after each), and checks that
# the result equals an uninterrupted run: parameters and RNG bit for bit, the
# same best checkpoint, metrics.jsonl with every step once, no temporaries.
# The short, fixed version (kills at named fault points) is in the default
# suite: tests/test_kill_recovery.cpp.
# Usage: bash tests/kill_torture.sh BUILD_DIR [KILLS (default 10)]
set -euo pipefail
BUILD=${1:?usage: kill_torture.sh BUILD_DIR [KILLS]}
S2S_TORTURE_KILLS=${2:-10} exec "$BUILD/tests/s2s_tests" "[torture]" --durations yes
