#!/usr/bin/env bash
# README command 1: set up, build, and run the main job on the embedded default: the demo swings
# in a SQLite library (demo-output/library.db, created on first run) through configs/demo.json.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
exec build/tools/swingpipe run configs/demo.json "$@"
