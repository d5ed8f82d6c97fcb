#!/usr/bin/env bash
# Image-backed containers (rootfs squash) in N1: the run matrix on their
# image file, writes that persist in upper/ and leave the image file alone,
# ephemeral ones that leave nothing, two containers of one image apart,
# whiteouts, volumes and --workdir made at run time, signals, the shared
# mount (one holder for every run of an image, outliving them as it
# should and no longer), a run's own FUSE server never left behind, rm,
# other modes refused, hostile image files and upper directories.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
B=$P/test/busybox
ud images
. "$(dirname "$0")/matrix.sh" || exit 1
ud doctor
if ! grep -q "^image-backed containers .*: yes" <<<"$OUT"; then
  fail "doctor: image-backed containers can run here"
  finish
  exit $?
fi
pass "doctor: image-backed containers can run here"

images=$B
[ "${UD_TEST_BIG:-0}" = 1 ] && images="$images $P/test/debian"
# shellcheck disable=SC2086
MATRIX_ROOTFS=squash matrix_mode N1 $images

# cdir NAME: the container's directory.
cdir() { echo "$UDOCKER_DIR/containers/$(readlink "$UDOCKER_DIR/containers/$1")"; }
# no_server: no FUSE server of ours runs (waits 5 s for the last one).
no_server() {
  local i
  for i in $(seq 50); do
    pgrep -u "$(id -u)" -x udocker-sqfuse >/dev/null || return 0
    sleep 0.1
  done
  return 1
}
# new NAME [--ephemeral]: an image-backed busybox container.
new() {
  ud create --rootfs=squash ${2:+"$2"} --name="$1" "$B"
  [ "$RC" = 0 ]
}

# Writes persist in upper/, the image file stays as it was.
check "create p1" new p1
d1=$(cdir p1)
img=$UDOCKER_DIR/squash/$(cat "$d1/image.digest").sqsh
sum=$(sha256sum <"$img")
UDOCKER_SQUASH_LINGER=0 ud run p1 /bin/sh -c 'echo kept >/kept; mkdir -p /d/e && echo deep >/d/e/f'
check "a write: the run succeeds" rc_is 0
check "the run's own server is gone after the run" no_server
ud run p1 /bin/sh -c 'cat /kept /d/e/f'
check "a write persists across runs" out_is "$(printf 'kept\ndeep')"
check "the write is in upper/" [ "$(cat "$d1/upper/kept")" = kept ]
check "ROOT stays empty" [ -z "$(ls -A "$d1/ROOT")" ]
check "the image file is unchanged" [ "$(sha256sum <"$img")" = "$sum" ]
ud run p1 /bin/sh -c 'stat -c "%u:%g" /bin/busybox /etc; echo "$(id -u):$(id -g)"'
check "the image's files belong to the container user" \
  out_is "$(printf '1000:1000\n1000:1000\n1000:1000')"
ud run --user=4242 p1 /bin/sh -c 'grep -c "^user:x:1000:" /etc/passwd; whoami'
check "an unknown uid's passwd entry is added to the image's passwd" out_is "$(printf '1\nudoc4242')"
ud run --user=user p1 /bin/sh -c 'id -u'
check "--user=NAME from the image file's /etc/passwd" out_is "1000"

# A file of the image deleted in the container stays deleted (a whiteout).
ud run p1 /bin/sh -c 'rm /bin/cat && echo removed'
check "rm of an image file in the container" out_is "removed"
ud run p1 /bin/sh -c 'test -e /bin/cat && echo there || echo gone'
check "the deletion persists" out_is "gone"
check "the deletion is a whiteout in upper/" [ -c "$d1/upper/bin/cat" ]

# Two containers of one image do not see each other's writes.
check "create p2" new p2
ud run p2 /bin/sh -c 'test -e /kept && echo seen || echo unseen; echo two >/two'
check "p2 does not see p1's write" out_is "unseen"
ud run p1 /bin/sh -c 'test -e /two && echo seen || echo unseen; test -e /bin/cat && echo cat'
check "p1 does not see p2's write, p2 keeps the image's file" out_is "unseen"
ud run p2 /bin/cat /two
check "p2 keeps its own write and the image's /bin/cat" out_is "two"

# Volumes and --workdir made at run time go into the overlay.
mkdir -p vol && echo data >vol/f
ud run -v "$T_TMP/vol:/new/mnt" -w /made/here p1 /bin/sh -c 'pwd; cat /new/mnt/f'
check "a volume and --workdir made at run time" out_is "$(printf '/made/here\ndata')"
check "the working directory is made in upper/" [ -d "$d1/upper/made/here" ]
check "the volume's mount point is made in upper/" [ -d "$d1/upper/new/mnt" ]
check "ROOT stays empty after the volume and the workdir" [ -z "$(ls -A "$d1/ROOT")" ]
expect_fail "invalid working directory, seen in the overlay" 2 "invalid working directory" \
  run -w /kept p1 /bin/true
expect_fail "command not found, seen in the overlay" 2 "command not found: cat" \
  run p1 cat /etc/passwd

# Ephemeral: nothing left behind.
check "create e1 (ephemeral)" new e1 --ephemeral
de=$(cdir e1)
before=$(cd "$de" && find . | sort)
ud run -v "$T_TMP/vol:/new/mnt" -w /wd e1 /bin/sh -c 'echo x >/x; mkdir -p /a/b; rm /bin/cat; pwd'
check "ephemeral: the run writes" out_is "/wd"
ud run e1 /bin/sh -c 'test -e /x || test -d /a || test -d /wd || echo clean; test -e /bin/cat && echo cat'
check "ephemeral: the next run starts from the image" out_is "$(printf 'clean\ncat')"
check "ephemeral: no file added to the container's directory" [ "$(cd "$de" && find . | sort)" = "$before" ]
check "ephemeral: nothing mounted" bash -c '! grep -qF -- "$1" /proc/self/mountinfo' _ "$de"
check "ephemeral: no server left" no_server

# Signals: SIGTERM to udocker reaches the container's trap; a run's own
# server does not outlive the run, also after kill -9 of udocker.
export UDOCKER_SQUASH_LINGER=0
mark="7$$$RANDOM"
"$UD_BIN" run p1 /bin/sh -c "trap 'echo got TERM; exit 7' TERM; sleep $mark & wait" >sig.out 2>sig.err &
pid=$!
for _ in $(seq 100); do pgrep -f -- "^sleep $mark" >/dev/null && break; sleep 0.1; done
check "signals: the server runs while the container does" pgrep -u "$(id -u)" -x udocker-sqfuse
kill -TERM "$pid"
wait "$pid"
rc=$?
check "signals: SIGTERM reaches the container's trap" grep -qx "got TERM" sig.out
check "signals: udocker exits with the trap's status" [ "$rc" = 7 ]
check "signals: no server left after SIGTERM" no_server
pkill -KILL -f -- "^sleep $mark"
mark="8$$$RANDOM"
"$UD_BIN" run p1 /bin/sh -c "sleep 1; echo late >/late" >/dev/null 2>&1 &
pid=$!
sleep 0.3
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 1.5
check "kill -9 of udocker: no server left once the container ends" no_server
check "kill -9 of udocker: the container still ran to its end" [ "$(cat "$d1/upper/late" 2>/dev/null)" = late ]
unset UDOCKER_SQUASH_LINGER

# The shared mount: one holder serves every run of an image file, ends
# UDOCKER_SQUASH_LINGER seconds after the last, but never while a process
# a run left behind may still read the image.
private=${TMPDIR:-/tmp}/udocker-$(id -u)
# holders: the pids of the holders of this test's image file (every sq-*
# socket of ours whose holder has the file open).
holders() {
  local p
  for p in $(pgrep -u "$(id -u)" -x udocker-sqmount); do
    ls -l "/proc/$p/fd" 2>/dev/null | grep -qF -- "$img" && echo "$p"
  done | sort
}
# no_holder: none is left (waits 10 s).
no_holder() {
  local i
  for i in $(seq 100); do
    [ -z "$(holders)" ] && return 0
    sleep 0.1
  done
  return 1
}
# kill_holders [PID...]: SIGKILL to these holders (all of the image's when
# none is named), then waits until they are gone (a killed holder still
# shows its open files for a while on a loaded host).
kill_holders() {
  local p pids=${*:-$(holders)}
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  for _ in $(seq 100); do
    grep -qxF -f <(tr ' ' '\n' <<<"$pids") <(holders) || return 0
    sleep 0.1
  done
}
kill_holders
ud run p1 /bin/sh -c 'cat /kept'
check "shared: the first run reads its write" out_is "kept"
h1=$(holders)
check "shared: one holder after the first run" [ "$(wc -w <<<"$h1")" = 1 ]
# ps and pgrep -f (a job wrapper waiting for its `udocker run` to end)
# see the holder under its own name, not as the run that started it.
check "shared: the holder's command line is its own, not the run's" \
  [ "$(tr -d '\0' <"/proc/$h1/cmdline")" = udocker-sqmount ]
ud run p2 /bin/cat /two
check "shared: a run of another container of the image" out_is "two"
check "shared: the same holder serves it" [ "$(holders)" = "$h1" ]
check "shared: its mount is not in the host's mount table" \
  bash -c '! grep -q "udocker-[0-9]*/sq-" /proc/self/mountinfo'
check "shared: its socket is in the private directory" \
  bash -c 'ls "$1"/sq-*.sock >/dev/null' _ "$private"
check "shared: the private directory is the user's alone" \
  [ "$(stat -c %a:%u "$private")" = "700:$(id -u)" ]
kill_holders "$h1"
sleep 0.2
ud run p1 /bin/sh -c 'cat /kept'
check "shared: a killed holder's socket is replaced" out_is "kept"
h2=$(holders)
# new_holder OLD NEW: NEW is one holder, not OLD.
new_holder() { [ "$(wc -w <<<"$2")" = 1 ] && [ "$2" != "$1" ]; }
check "shared: by one new holder" new_holder "$h1" "$h2"
kill_holders "$h2"
# At once, from no holder: all succeed, one holder starts.
for i in 1 2 3 4 5 6; do
  "$UD_BIN" run p1 /bin/sh -c 'cat /kept' >"conc.$i" 2>&1 &
done
wait
# all_kept: each run printed kept (else what they printed, on stderr).
all_kept() { [ "$(cat conc.? | grep -cx kept)" = 6 ]; }
check "shared: six runs at once all succeed" all_kept
check "shared: six runs at once start one holder" [ "$(holders | wc -l)" = 1 ]
# One overlay per container on the shared mount, kept for its next runs:
# a run that is still going sees a file another run of the container made
# (two overlays on one upper layer would each keep what they looked up).
rm -f "$d1/upper/flag"
"$UD_BIN" run p1 /bin/sh -c 'test -e /flag || echo absent; i=0
  while [ $i -lt 150 ] && ! test -e /flag; do sleep 0.1; i=$((i + 1)); done
  test -e /flag && echo seen' >watch.out 2>&1 &
watcher=$!
for _ in $(seq 100); do grep -q absent watch.out && break; sleep 0.1; done
ud run p1 /bin/touch /flag
check "shared overlay: the second run makes a file" rc_is 0
wait "$watcher"
OUT=$(cat watch.out); RC=0; ERR=
check "shared overlay: a running container sees another run's new file" \
  out_is "$(printf 'absent\nseen')"
# A container made again under a removed one's name, while the holder
# still keeps the removed one's overlay: its own, empty, upper layer.
check "create p3" new p3
ud run p3 /bin/sh -c 'echo old >/mine'
ud rm p3
check "create p3 again" new p3
ud run p3 /bin/sh -c 'cat /mine 2>/dev/null || echo none; echo new >/mine'
check "shared overlay: a container made again does not see the removed one's files" \
  out_is "none"
check "shared overlay: its write is in its own upper/" [ "$(cat "$(cdir p3)/upper/mine")" = new ]
ud rm p3
# The kept overlays are mounted nowhere: a container that binds the
# private directory (or /tmp, or the home holding TMPDIR) cannot reach
# another container's files through them, let alone change them.
ud run p1 /bin/true
ud run -v "$private:/priv" p2 /bin/sh -c 'find /priv -name kept | wc -l'
check "shared overlay: not reachable through a bind of the private directory" out_is "0"
# A run that mounts an overlay of its own (no holder) changes the upper
# directory: the kept overlay, whose caches do not know, is not used again.
ud run p1 /bin/sh -c 'cat /later 2>/dev/null || echo none'
check "shared overlay: a name looked up and missing" out_is "none"
UDOCKER_SQUASH_LINGER=0 ud run p1 /bin/sh -c 'echo later >/later'
ud run p1 /bin/sh -c 'cat /later 2>/dev/null || echo none'
check "shared overlay: another mount's change is seen after it" out_is "later"
# A kept overlay dropped (another mount came since) while a run still uses
# it: its work directory stays, and that run can still copy files up.
mkdir -p sig && rm -f sig/*
"$UD_BIN" run -v "$T_TMP/sig:/sig" p1 /bin/sh -c 'touch /sig/started
  i=0; while [ $i -lt 300 ] && [ ! -e /sig/go ]; do sleep 0.1; i=$((i + 1)); done
  chmod 755 /bin/busybox && mkdir /etc/made-late && echo copied-up' >long.out 2>&1 &
long=$!
for _ in $(seq 100); do [ -e sig/started ] && break; sleep 0.1; done
works_before=$(ls "$d1/work" | grep -v '[.]lock$')
UDOCKER_SQUASH_LINGER=0 ud run p1 /bin/true
ud run p1 /bin/true
ud run p1 /bin/true
# kept_works: every work directory there was while the long run started
# is still there (the dropped overlay's among them).
kept_works() {
  local w
  for w in $works_before; do [ -d "$d1/work/$w" ] || return 1; done
}
check "shared overlay: a dropped overlay's work directory stays while a run uses it" kept_works
touch sig/go
wait "$long"
OUT=$(cat long.out); RC=0; ERR=
check "shared overlay: a run on a dropped overlay still copies up" out_is "copied-up"
kill_holders
# Linger: gone a second after the last run, with its socket and mount
# point; a process the container left in the background keeps it.
export UDOCKER_SQUASH_LINGER=1
names() { ls "$private" | grep -E '^sq-.*[.](sock|mnt|ovl)$' | sort; }
before=$(names)
ud run p1 /bin/true
check "linger 1: the run succeeds" rc_is 0
check "linger 1: the holder ends after its last run" no_holder
# no_new_names: no socket nor mount point that was not there before.
no_new_names() { [ -z "$(comm -13 <(echo "$before") <(names))" ]; }
check "linger 1: its socket and mount points go with it" no_new_names
rm -f "$d1/upper/bg"
ud run p1 /bin/sh -c 'setsid /bin/sh -c "sleep 3; wc -c </bin/busybox >/bg" </dev/null >/dev/null 2>&1 & sleep 0.5'
check "background: the run ends at once" rc_is 0
sleep 2
check "background: the holder waits for the process left running" [ -n "$(holders)" ]
for _ in $(seq 50); do [ -s "$d1/upper/bg" ] && break; sleep 0.1; done
check "background: the process still read the image" [ "$(cat "$d1/upper/bg" 2>/dev/null)" -gt 100000 ]
check "background: then the holder ends" no_holder
unset UDOCKER_SQUASH_LINGER
# A private directory another could enter is not used: each run mounts
# the image itself.
mkdir -p badtmp/udocker-"$(id -u)" && chmod 0755 badtmp/udocker-"$(id -u)"
TMPDIR=$T_TMP/badtmp ud run p1 /bin/sh -c 'cat /kept'
check "an open private directory: the run still works" out_is "kept"
check "an open private directory: no socket made in it" \
  bash -c '! ls "$1"/sq-* 2>/dev/null | grep -q .' _ "$T_TMP/badtmp/udocker-$(id -u)"
kill_holders

# Other modes are refused with the reason, auto picks N1.
expect_fail "setup --execmode=P1 is refused" 1 "image-backed" \
  setup --execmode=P1 p2
expect_fail "setup --execmode=F1 is refused" 1 "image-backed" \
  setup --execmode=F1 p2
printf P1 >"$(cdir p2)/execmode"
ud run p2 /bin/true
check "run in P1 (execmode file) is refused" err_has "image-backed containers run in N1"
rm -f "$(cdir p2)/execmode"
ud doctor p2
check "doctor: auto picks N1 for an image-backed container" out_has "execmode auto for p2: N1"
check "doctor: says the container is image-backed" out_has "container p2: image-backed"

# rm removes everything: work/work is 0000, whiteouts are devices.
ud rm p1
check "rm of an image-backed container" rc_is 0
check "rm removes its directory (whiteouts and work/ too)" [ ! -e "$d1" ]
check "rm leaves the image file" [ -f "$img" ]

# Hostile image files and upper directories: errors naming the cause and
# the fix, nothing mounted, no server left.
# hostile NAME: an image-backed container whose image file is its own.
hostile() {
  new "$1" || return 1
  printf 'sha256:hostile%s' "$1" >"$(cdir "$1")/image.digest"
}
check "create h1" hostile h1
hf=$UDOCKER_DIR/squash/sha256:hostileh1.sqsh
expect_fail "a missing image file" 2 "is missing" run h1 /bin/true
head -c 100000 "$img" >"$hf"
expect_fail "a truncated image file" 2 "is truncated" run h1 /bin/true
head -c 2000 "$img" >"$hf"
expect_fail "an image file cut inside its tables" 2 "sqsh' is" run h1 /bin/true
check "the error names the fix" err_has "create the container again"
head -c 300000 /dev/urandom >"$hf"
expect_fail "a random image file: bad super block" 2 "bad super block" run h1 /bin/true
rm -f "$hf"
ln -s "$img" "$hf"
expect_fail "an image file that is a symlink" 2 "is a symbolic link" run h1 /bin/true
rm -f "$hf"
mkfifo "$hf"
# Bounded: a reader that waits on the FIFO hangs the run.
timeout 20 "$UD_BIN" run h1 /bin/true >out.txt 2>err.txt
RC=$?; OUT=$(cat out.txt); ERR=$(cat err.txt)
check "an image file that is a FIFO: refused, not waited on" rc_is 2
check "an image file that is a FIFO: the error says why" err_has "not a regular file"
rm -f "$hf"
check "hostile image files: no server left" no_server
check "create h2" new h2
dh=$(cdir h2)
mkdir -p elsewhere
rm -rf "$dh/upper"
ln -s "$T_TMP/elsewhere" "$dh/upper"
expect_fail "an upper directory replaced by a symlink" 2 "is not a directory (a link?)" \
  run h2 /bin/sh -c 'echo x >/escaped'
check "nothing written through the symlink" [ -z "$(ls -A elsewhere)" ]
check "hostile upper: no server left" no_server
rm -f "$dh/upper"
touch "$dh/upper"
expect_fail "an upper that is a file" 2 "is not a directory" run h2 /bin/true
finish
