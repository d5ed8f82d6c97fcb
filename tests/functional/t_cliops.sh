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

# setup: one implementation for the CLI and apply's setup step.
expect_ok "a container for setup auto" create --name=sa "$B"
ud setup --execmode=auto sa
check "CLI setup --execmode=auto succeeds (as apply's auto does)" rc_is 0
ud setup sa
cli_mode=$OUT
cat >"$T_TMP/auto.yaml" <<YAML
version: 1
containers:
  sb:
    image: $B
    execmode: auto
YAML
expect_ok "apply with execmode auto" apply -f "$T_TMP/auto.yaml"
ud setup sb
check "CLI setup auto and apply's auto set the same mode" [ "$OUT" = "$cli_mode" ]
ud setup --execmode=p1 sa
check "CLI setup takes a mode in lower case" rc_is 0
ud setup sa
check "CLI setup p1 sets P1" out_has "execmode: P1"

# Options that did nothing are refused with the reason.
expect_fail "setup --fixperm is refused" 1 "setup --fixperm is not supported" setup --fixperm sa
expect_fail "install --force is refused" 1 "install --force is not supported" install --force
expect_fail "pull --index is refused" 1 "pull --index is not supported" pull --index=https://x "$B"
expect_fail "run --novol=PATH is refused" 1 "run --novol=PATH is not supported" run --novol=/proc sa /bin/true
mkdir -p "$T_TMP/dri"
ud run --dri sa /bin/sh -c 'ls -d /usr/lib64/dri /lib64/dri /usr/lib/dri /lib/dri 2>/dev/null | wc -l'
want=0
for d in /usr/lib64/dri /lib64/dri /usr/lib/dri /lib/dri; do [ -d "$d" ] && want=$((want + 1)); done
if [ "$want" -gt 0 ]; then
  check "run --dri binds the host's DRI directories" out_is "$want"
else
  check "run --dri succeeds without DRI directories on the host" rc_is 0
fi

# UDOCKER_DEFAULT_EXECUTION_MODE and default_execution_mode choose auto's mode.
UDOCKER_DEFAULT_EXECUTION_MODE=P2 ud create --name=envmode "$B"
ud setup envmode
check "UDOCKER_DEFAULT_EXECUTION_MODE sets a new container's mode" out_has "execmode: P2"
echo "default_execution_mode = P1" >"$T_TMP/ud.conf"
ud --config="$T_TMP/ud.conf" run --name=confmode "$B" /bin/true
ud setup confmode
check "default_execution_mode in udocker.conf sets a new container's mode" out_has "execmode: P1"
UDOCKER_DEFAULT_EXECUTION_MODE=Q9 ud run "$B" /bin/true
check "an invalid default execution mode is refused" rc_is 1
check "an invalid default execution mode says what it is" err_has "invalid default execution mode 'Q9'"
# Help texts and messages list the modes from the one mode list: the
# same modes, in the same order, as doctor reports them.
ud doctor
doctor_modes=$(sed -n 's/^  \([A-Z][0-9]\)  .*/\1/p' <<<"$OUT" | tr '\n' ' ')
check "doctor lists the modes" [ -n "$doctor_modes" ]
ud setup --help
check "setup --help lists doctor's modes" out_line "  ${doctor_modes% }"
ud install
check "install lists doctor's modes" out_has "modes: ${doctor_modes% } ("
UDOCKER_DEFAULT_EXECUTION_MODE=Q9 ud run "$B" /bin/true
check "an invalid default execution mode lists doctor's modes" \
  err_has "expected one of auto, $(sed 's/ $//; s/ /, /g' <<<"$doctor_modes")"

finish
