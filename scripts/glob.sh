#!/bin/sh
# Print the files matching $2 under folder $1, sorted, one per line (for meson).
cd "$MESON_SOURCE_ROOT" 2>/dev/null || true
ls "$1"/$2 2>/dev/null | LC_ALL=C sort
