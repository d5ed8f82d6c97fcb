#!/usr/bin/env bash
# The CLI only parses and prints: run --rm/--name, create, setup and the
# default execution mode go through the executor operations apply uses.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
B="$P/test/busybox"

ud images # creates the repository

# run --rm --name=N IMAGE never removes an existing container N.
expect_ok "a container named keep" create --name=keep "$B"
keep_id=$OUT
ud run keep /bin/sh -c 'echo data >/precious'
expect_fail "run --rm --name=N IMAGE with N taken is refused" 1 "container name already exists: keep" \
  run --rm --name=keep "$B" /bin/true
check "run --rm --name=N IMAGE leaves the existing N's directory" [ -d "$UDOCKER_DIR/containers/$keep_id/ROOT" ]
check "run --rm --name=N IMAGE leaves N's data" [ -f "$UDOCKER_DIR/containers/$keep_id/ROOT/precious" ]
check "run --rm --name=N IMAGE leaves the name N" [ "$(readlink "$UDOCKER_DIR/containers/keep")" = "$keep_id" ]

# run --rm CONTAINER removes it after the run (udocker 1.3.16).
expect_ok "a container for run --rm" create --name=gone "$B"
gone_id=$OUT
ud run --rm gone /bin/sh -c 'echo ran'
check "run --rm CONTAINER runs it" out_is "ran"
check "run --rm CONTAINER removes it afterwards" [ ! -e "$UDOCKER_DIR/containers/$gone_id" ]
check "run --rm CONTAINER removes its name" [ ! -L "$UDOCKER_DIR/containers/gone" ]
ud run --rm "$B" /bin/sh -c 'exit 3'
check "run --rm IMAGE keeps the command's status" rc_is 3
ud ps
check "run --rm IMAGE leaves no container behind" bash -c '[ "$(grep -c run- <<<"$1")" = 0 ]' _ "$OUT"

# run --name=N CONTAINER adds the name.
ud run --name=alias2 keep /bin/true
check "run --name=N CONTAINER succeeds" rc_is 0
check "run --name=N CONTAINER adds the name" [ "$(readlink "$UDOCKER_DIR/containers/alias2")" = "$keep_id" ]
expect_ok "a second container" create --name=other "$B"
expect_fail "run --name=N CONTAINER with N another's is refused" 1 "container name already exists: other" \
  run --name=other keep /bin/true

# create --name: the temporary name is gone, the name is given.
expect_ok "create --name" create --name=made "$B"
made_id=$OUT
check "create --name names the new container" [ "$(readlink "$UDOCKER_DIR/containers/made")" = "$made_id" ]
check "create leaves no temporary name" bash -c '! ls "$1" | grep -q "^create-"' _ "$UDOCKER_DIR/containers"
expect_ok "create --force with a taken name" create --force --name=made "$B"
forced=$OUT
check "create --force: the new container has no name" bash -c '! ls -l "$1" | grep -q -- "-> $2\$"' _ "$UDOCKER_DIR/containers" "$forced"

finish
