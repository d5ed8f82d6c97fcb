#!/usr/bin/env bash
# Docker's and udocker 1.3.16's run semantics as their users type them:
# --entrypoint and Cmd, short options run together and both value forms,
# HOME, --platform end to end, run NAME of nothing, working directories
# that do not exist, volumes with ':' in their paths, exit 2 for every bad
# volume or working directory (issue 12).
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
E=$P/test/entry
B=$P/test/busybox

ud images # creates the repository
expect_ok "pull the entry fixture" pull "$E"
expect_ok "pull the busybox fixture" pull "$B"

# --- --entrypoint and Cmd (Entrypoint ["/bin/echo","entry"], Cmd ["cmd-arg"])
ud run "$E"
check "no options: Entrypoint + Cmd" out_is "entry cmd-arg"
ud run "$E" a b
check "arguments after the image replace Cmd" out_is "entry a b"
ud run --entrypoint=/bin/echo "$E"
check "--entrypoint=X drops Cmd: the command runs alone: status" rc_is 0
check "--entrypoint=X drops Cmd: the command runs alone: an empty line" out_is ""
ud run --entrypoint /bin/echo "$E" x y
check "--entrypoint X (space form) + arguments" out_is "x y"
ud run --entrypoint= "$E" /bin/echo only-these
check "--entrypoint= runs the given arguments alone" out_is "only-these"
"$UD_BIN" run --entrypoint= "$E" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
RC=$?; OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err")
check "--entrypoint= without a command does not run Cmd: status" rc_is 0
check "--entrypoint= without a command does not run Cmd: no 'cmd-arg'" err_lacks "cmd-arg"

# --- short options as Docker users type them, both value forms
ud run --rm -it "$E" it
check "run --rm -it" out_is "entry it"
ud run -ti --rm "$E" ti
check "run -ti --rm" out_is "entry ti"
ud run -it -e X=1 "$B" /bin/sh -c 'echo $X'
check "-it then -e" out_is "1"
export DS_FROM_HOST="host value"
unset DS_UNSET || true
ud run -e DS_FROM_HOST "$B" /bin/sh -c 'echo "$DS_FROM_HOST"'
check "-e VAR takes the host's value" out_is "host value"
ud run -e DS_UNSET "$B" /bin/sh -c 'echo "${DS_UNSET-not set}"'
check "-e VAR unset on the host: not set in the container" out_is "not set"
ud run --env DS_FROM_HOST "$B" /bin/sh -c 'echo "$DS_FROM_HOST"'
check "--env VAR (space form) takes the host's value" out_is "host value"
ud run --env=K=v1 --env K2=v2 "$B" /bin/sh -c 'echo $K$K2'
check "--env=K=V and --env K=V" out_is "v1v2"
mkdir -p vol && echo data >vol/f
ud run -v "$T_TMP/vol:/mnt/v:ro" "$B" /bin/sh -c 'cat /mnt/v/f; echo x >/mnt/v/new'
check "-v HOST:CTR:ro reads" out_has "data"
check "-v HOST:CTR:ro refuses writes: status" [ "$RC" != 0 ]
check "-v HOST:CTR:ro refuses writes: nothing written" [ ! -e vol/new ]
ud run --volume="$T_TMP/vol:/mnt/a" --volume "$T_TMP/vol:/mnt/b" "$B" /bin/sh -c 'cat /mnt/a/f /mnt/b/f'
check "--volume=V and --volume V" out_is "$(printf 'data\ndata')"
ud run --workdir=/tmp "$B" pwd
check "--workdir=DIR" out_is "/tmp"
ud run --workdir /etc "$B" pwd
check "--workdir DIR" out_is "/etc"
ud run --user=4242 "$B" id -u
check "--user=UID" out_is "4242"
ud run --user 4343 "$B" id -u
check "--user UID" out_is "4343"
expect_ok "--name=NAME" run --name=ds-eq "$B" /bin/true
check "--name=NAME names the container" [ -L "$UDOCKER_DIR/containers/ds-eq" ]
expect_ok "--name NAME" run --name ds-space "$B" /bin/true
check "--name NAME names the container" [ -L "$UDOCKER_DIR/containers/ds-space" ]

# --- HOME (test/busybox: User 1000, 'user' in its passwd with /home/user)
ud run "$B" /bin/sh -c 'echo $HOME; cd && pwd'
check "HOME: the image user's passwd home, and cd goes there" out_is "$(printf '/home/user\n/home/user')"
ud run --user=root "$B" /bin/sh -c 'echo $HOME'
check "HOME: /root for root" out_is "/root"
ud run --bindhome "$B" /bin/sh -c 'echo $HOME; test -d ~ && echo there'
check "HOME: the user's home with --bindhome" out_is "$(printf '%s\nthere' "$HOME")"
ud run --user=4242 "$B" /bin/sh -c 'echo $HOME'
check "HOME: / for a user the container does not know" out_is "/"
expect_ok "HOME: a container to give the host user an entry" create --name=ds-home "$B"
ud inspect -p ds-home
root=$OUT
echo "me:x:$(id -u):$(id -g)::/home/me:/bin/sh" >>"$root/etc/passwd"
mkdir -p "$root/home/me"
echo 'echo from-bashrc' >"$root/home/me/.bashrc"
ud run --nometa ds-home /bin/sh -c 'echo $HOME; . ~/.bashrc'
check "HOME: the host user's entry in the container's passwd" out_is "$(printf '/home/me\nfrom-bashrc')"
ud run -e HOME=/given "$B" /bin/sh -c 'echo $HOME'
check "HOME: -e HOME wins" out_is "/given"

# --- --platform end to end (oci/multi: OCI index, test/multi: Docker list)
for m in oci/multi test/multi; do
  ud run --rm --platform=linux/arm64 "$P/$m" cat /etc/arch
  check "$m: run --platform=linux/arm64 pulls, creates and runs arm64" out_is "arm64"
  ud images -p
  check "$m: the stored image is linux/arm64" bash -c 'grep -F " $2:latest" <<<"$1" | grep -q linux/arm64' _ "$OUT" "$P/$m"
  ud run --rm --platform=linux/amd64 "$P/$m" cat /etc/arch
  check "$m: run --platform=linux/amd64 replaces it with amd64" out_is "amd64"
  expect_fail "$m: --pull=never and another platform in the store" 1 \
    "the image in the store is for linux/amd64, not linux/arm64" \
    run --rm --pull=never --platform=linux/arm64 "$P/$m" cat /etc/arch
  check "$m: --pull=never and another platform: nothing run" out_is ""
  expect_fail "$m: a platform the image does not have" 1 "no manifest for platform linux/s390x" \
    run --rm --platform=linux/s390x "$P/$m" true
  ud pull --platform=linux/arm64 "$P/$m"
  check "$m: pull --platform=linux/arm64" rc_is 0
  expect_ok "$m: create after pull --platform" create --name="ds-$(dirname "$m")" "$P/$m"
  ud run "ds-$(dirname "$m")" cat /etc/arch
  check "$m: the container made after pull --platform is that platform's" out_is "arm64"
done
expect_ok "rmi the single-platform image" rmi "$B"
expect_fail "pull --platform of a single-platform image for another one" 1 \
  "no manifest for platform linux/arm64 (the image is for linux/amd64 only)" \
  pull --platform=linux/arm64 "$B"
ud images
check "the image for another platform was not stored" out_lacks "$B:latest"
expect_ok "pull --platform of its own platform" pull --platform=linux/amd64 "$B"
# A spec's platform: checked against what is stored (oci/multi is arm64 now).
cat >plat.yaml <<EOY
version: 1
images:
  m: {ref: "$P/oci/multi:latest", platform: linux/amd64, pull: never}
EOY
expect_fail "a spec's platform: another platform in the store is blocked" 1 "" plan -f plat.yaml
check "plan says which platform is stored" out_has "the image in the store is for linux/arm64/v8, not linux/amd64"
sed -i 's/pull: never/pull: missing/' plat.yaml
expect_ok "a spec's platform: another platform in the store is pulled" plan -f plat.yaml
check "plan says it pulls the platform asked for" out_has "the image in the store is for linux/arm64/v8: pull for linux/amd64"

# --- run NAME of neither a container nor a local image
ud run "$P/test/nothere" /bin/true
check "run NAME of nothing: fails" rc_is 1
check "run NAME of nothing: says so before the pull" \
  bash -c 'a=$(grep -n "no container named .* and no such image in the store: pulling it" <<<"$1" | cut -d: -f1); b=$(grep -n "^Error: pull" <<<"$1" | cut -d: -f1); [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]' _ "$ERR"
check "run NAME of nothing: the failed pull says it looked for an image after no container" \
  err_has "run: found no container named '$P/test/nothere', then no image of that name"

# --- working directories no layer creates are made, as Docker does
expect_ok "a container whose WorkingDir no layer made" create --name=ds-wd "$B"
ud inspect -p ds-wd
wroot=$OUT
rm -rf "$wroot/home/user"
ud run ds-wd pwd
check "the image's WorkingDir is made at run time" out_is "/home/user"
check "the image's WorkingDir is a directory in ROOT now" [ -d "$wroot/home/user" ]
ud run -w /new/dir ds-wd pwd
check "-w of a directory that does not exist makes it" out_is "/new/dir"
ud run -v "$T_TMP/vol:/mnt/v" -w /mnt/v/sub/dir ds-wd pwd
check "-w below a volume: made in the volume" [ -d "$T_TMP/vol/sub/dir" ]
expect_fail "-w of a file stays an error (exit 2)" 2 "invalid working directory: /etc/passwd" \
  run -w /etc/passwd ds-wd true

# A missing working directory in a volume is made in the volume as the host
# directory's own root: never in a :ro volume, never through a symlink of
# the volume to outside it. For N1, P1 (the prepare step is shared) and F1.
mkdir -p "$T_TMP/vx/sub" "$T_TMP/escape-target"
ln -sfn "$T_TMP/escape-target" "$T_TMP/vx/link"
ln -sfn sub "$T_TMP/vx/rel"
wd_modes="N1:ds-wd"
if [ "$(uname -m)" = x86_64 ]; then
  expect_ok "a P1 container for the workdir cases" create --name=ds-wd-p1 "$B"
  expect_ok "... set to P1" setup --execmode=P1 ds-wd-p1
  wd_modes="$wd_modes P1:ds-wd-p1"
  if [ "${UD_TEST_BIG:-0}" = 1 ]; then
    expect_ok "pull the debian fixture" pull "$P/test/debian"
    expect_ok "an F1 container for the workdir cases" create --name=ds-wd-f1 "$P/test/debian"
    expect_ok "... set to F1" setup --execmode=F1 ds-wd-f1
    wd_modes="$wd_modes F1:ds-wd-f1"
  else
    skip "-w in volumes under F1: UD_TEST_BIG=0 (F1 needs the Debian image)"
  fi
else
  skip "-w in volumes under P1 and F1: x86_64 only in this version"
fi
for mc in $wd_modes; do
  m=${mc%%:*} c=${mc#*:}
  expect_fail "$m: -w missing in a :ro volume: exit 2" 2 \
    "invalid working directory: /data/new-$m: it is in a read-only volume and does not exist" \
    run -v "$T_TMP/vx:/data:ro" -w "/data/new-$m" "$c" pwd
  check "$m: -w missing in a :ro volume: nothing made in it" [ ! -e "$T_TMP/vx/new-$m" ]
  ud run -v "$T_TMP/vx:/data:ro" -w /data/sub "$c" pwd
  check "$m: -w of a directory of a :ro volume" out_is "/data/sub"
  ud run -v "$T_TMP/vx:/data" -w "/data/link/made-$m" "$c" pwd
  check "$m: -w through a volume's symlink to outside it: nothing made outside" \
    [ ! -e "$T_TMP/escape-target/made-$m" ]
  ud run -v "$T_TMP/vx:/data" -w "/data/rel/made-$m" "$c" pwd
  check "$m: -w through a volume's relative symlink: made in the volume" \
    [ -d "$T_TMP/vx/sub/made-$m" ]
done
expect_fail "-w relative: exit 2 (container)" 2 "invalid working directory" run -w rel ds-wd true
expect_fail "-w relative: exit 2 (image)" 2 "invalid working directory" run --rm -w rel "$B" true
expect_fail "--workdir= relative: exit 2" 2 "invalid working directory" run --workdir=rel ds-wd true

# --- volumes: ':' in paths, every bad volume exits 2
mkdir -p "$T_TMP/data/A:B" && echo colon >"$T_TMP/data/A:B/f"
ud run "--volume=$T_TMP/data/A:B:/mnt/A:B" ds-wd cat /mnt/A:B/f
check "--volume=HOST:A:B:/CTR:A:B with an existing host part" out_is "colon"
ud run "--volume=$T_TMP/data/A:B:/mnt/A:B:ro" ds-wd /bin/sh -c 'cat /mnt/A:B/f; touch /mnt/A:B/g'
check "... with :ro: reads" out_has "colon"
check "... with :ro: refuses writes" [ ! -e "$T_TMP/data/A:B/g" ]
ud run -v "$T_TMP/vol:/mnt/x:y" ds-wd cat /mnt/x:y/f
check "-v HOST:/CTR:with:colons" out_is "data"
mkdir -p "$T_TMP/amb" "$T_TMP/amb:/q"
expect_fail "a ':' split that is ambiguous: exit 2" 2 "more than one split" \
  run -v "$T_TMP/amb:/q:/r" ds-wd true
for form in "::" "$T_TMP/nothere:x:y" "/a::/b" "$T_TMP/vol:/x:"; do
  expect_fail "a volume that cannot be parsed ($form): exit 2 (container)" 2 "invalid volume" \
    run -v "$form" ds-wd true
  expect_fail "a volume that cannot be parsed ($form): exit 2 (image)" 2 "invalid volume" \
    run --rm -v "$form" "$B" true
done
for form in "rel:/x" "$T_TMP/vol:rel" "/no/such/dir:/x" "$T_TMP/vol:/"; do
  expect_fail "a bad volume ($form): exit 2 (container)" 2 "" run -v "$form" ds-wd true
  expect_fail "a bad volume ($form): exit 2 (image)" 2 "" run --rm -v "$form" "$B" true
  expect_fail "a bad volume ($form): exit 2 (--volume=)" 2 "" run "--volume=$form" ds-wd true
done

finish
