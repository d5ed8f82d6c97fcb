#!/usr/bin/env bash
# Hostile input never harms the user (issue 10): archives and layers, the
# store, the registry client, job specs and files written inside a
# container root. Every input is built here; each case fails when its fix
# is reverted.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN

# ===================================================== layers, archives, store

# ===================================================== registry client

# ===================================================== job specs and inputs

# ===================================================== writes inside a container root

finish
