#!/usr/bin/env bash
# Image-backed containers from the user's side (issue 14): create
# --rootfs=squash and its options, the spec keys rootfs and ephemeral,
# UDOCKER_ROOTFS, what plan says, the reuse rules, and what ps, inspect and
# setup do with such a container. Their runs: t_squash_run.sh.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
B=$UD_FIX_PLAIN/test/busybox
D=$UD_FIX_PLAIN/test/layers
ud images # creates the repository
expect_ok "pull busybox" pull "$B"

# --- create
ud create --rootfs=squash --name=sq "$B"
check "create --rootfs=squash: status" rc_is 0
id=$OUT
check "create --rootfs=squash prints only the id" grep -Eqx '[0-9a-f-]{36}' <<<"$id"
dir=$UDOCKER_DIR/containers/$id
check "... records it as image-backed" [ "$(cat "$dir/rootfs")" = squash ]
check "... ROOT is an empty mount point" [ -z "$(ls -A "$dir/ROOT")" ]
check "... with upper/ for its changes" [ -d "$dir/upper" ]
n=$(find "$dir" -mindepth 1 | wc -l)
check "... at most 10 files in its directory ($n)" [ "$n" -le 10 ]
file=$(ls "$UDOCKER_DIR"/squash/*.sqsh)
digest=$(cat "$dir/image.digest")
check "... its image file is squash/<image digest>.sqsh" [ "$file" = "$UDOCKER_DIR/squash/$digest.sqsh" ]
check "... a SquashFS file (magic hsqs)" [ "$(head -c 4 "$file")" = hsqs ]
ino=$(stat -c %i "$file")
ud create --rootfs=squash "$B"
check "a second image-backed container: status" rc_is 0
check "... shares the image file (not built again)" [ "$(stat -c %i "$file")" = "$ino" ]
ud create --rootfs=squash --ephemeral --name=eph "$B"
check "create --ephemeral: status" rc_is 0
edir=$UDOCKER_DIR/containers/$OUT
check "... records it as ephemeral" [ "$(cat "$edir/rootfs")" = "squash ephemeral" ]
check "... has no upper/" [ ! -e "$edir/upper" ]
ud create --rootfs=Squash --name=sq2 "$B"
check "--rootfs takes any case" rc_is 0
ud create --rootfs=bogus "$B"
check "--rootfs=bogus: status 1" rc_is 1
check "--rootfs=bogus: the error names the value and the choices" err_has "invalid --rootfs 'bogus': expected dir or squash"
ud create --ephemeral "$B"
check "--ephemeral alone: status 1" rc_is 1
check "--ephemeral alone: says it needs --rootfs=squash" err_has "--ephemeral needs an image-backed container (--rootfs=squash)"
ud create "$B"
check "create without --rootfs: a directory container" [ ! -e "$UDOCKER_DIR/containers/$OUT/rootfs" ]
check "... with its tree in ROOT" [ -x "$UDOCKER_DIR/containers/$OUT/ROOT/bin/busybox" ]
UDOCKER_ROOTFS=squash ud create "$B"
check "UDOCKER_ROOTFS=squash: create makes image-backed containers" [ "$(cat "$UDOCKER_DIR/containers/$OUT/rootfs")" = squash ]
UDOCKER_ROOTFS=squash ud create --rootfs=dir "$B"
check "--rootfs=dir wins over UDOCKER_ROOTFS" [ ! -e "$UDOCKER_DIR/containers/$OUT/rootfs" ]
UDOCKER_ROOTFS=tree ud create "$B"
check "UDOCKER_ROOTFS=tree: status 1" rc_is 1
check "UDOCKER_ROOTFS=tree: the error names the setting" err_has "invalid rootfs 'tree' (UDOCKER_ROOTFS or rootfs in udocker.conf): expected dir or squash"
echo "rootfs = squash" >"$UDOCKER_DIR/udocker.conf"
ud showconf
check "udocker.conf rootfs = squash shows in showconf" out_line "rootfs = squash"
rm "$UDOCKER_DIR/udocker.conf"

# --- ps and inspect
ud ps --json
check "ps --json: the image-backed container's rootfs" python3 -c '
import json, sys
c = {c["id"]: c for c in json.loads(sys.argv[1])}[sys.argv[2]]
assert c["rootfs"] == "squash" and c["ephemeral"] is False and c["image_file"] == sys.argv[3], c' "$OUT" "$id" "$file"
check "ps --json: a directory container's rootfs is dir, no image file" python3 -c '
import json, sys
assert all(c["image_file"] is None for c in json.loads(sys.argv[1]) if c["rootfs"] == "dir")' "$OUT"
ud ps
check "ps: the image-backed container's root is writable (W)" out_has "$id . W ['sq']"
ud ps -s
check "ps -s counts its changes only (upper/, 1 MB rounded up)" grep -q "^$id \. W     1 " <<<"$OUT"
mv "$file" "$file.away"
ud ps
check "ps: its image file missing shows N" out_has "$id . N ['sq']"
mv "$file.away" "$file"
ud inspect -p sq
check "inspect -p of an image-backed container: status 1" rc_is 1
check "inspect -p: says it is image-backed and names its image file" err_has "container $id is image-backed: its root is the image file $file"
check "inspect -p: prints no path on stdout" out_is ""
ud inspect --json sq
check "inspect --json: rootfs, image_file and upper" python3 -c '
import json, sys
o = json.loads(sys.argv[1])
assert o["rootfs"] == "squash" and o["image_file"] == sys.argv[2] and o["upper"] == sys.argv[3] + "/upper", o' "$OUT" "$file" "$dir"

# --- setup: N1 only
ud setup --execmode=F1 sq
check "setup --execmode=F1 of an image-backed container: status 1" rc_is 1
check "... refused with the reason" err_has "is image-backed and runs in N1 only (F1 works on a tree on the host"
check "... its mode unchanged" [ ! -e "$dir/execmode" ]
ud setup --execmode=P1 sq
check "setup --execmode=P1: refused too" err_has "is image-backed and runs in N1 only (P1"

# --- job specs
cat >spec.yaml <<EOF
version: 1
defaults:
  rootfs: squash
containers:
  a:
    image: $B
  b:
    image: $B
    rootfs: dir
  e:
    image: $B
    ephemeral: true
  f:
    image: $B
    execmode: F1
EOF
ud validate -f spec.yaml
check "a spec with defaults.rootfs, rootfs and ephemeral validates" rc_is 0
ud plan -f spec.yaml --json
check "plan --json: rootfs and ephemeral of each create step" python3 -c '
import json, sys
s = {st["name"]: st for st in json.loads(sys.argv[1])["steps"] if st["kind"] == "create"}
assert (s["a"]["rootfs"], s["a"]["ephemeral"]) == ("squash", False), s["a"]
assert (s["b"]["rootfs"], s["b"]["ephemeral"]) == ("dir", False), s["b"]
assert (s["e"]["rootfs"], s["e"]["ephemeral"]) == ("squash", True), s["e"]' "$OUT"
check "plan --json: F1 for an image-backed container is blocked" python3 -c '
import json, sys
s = {st["name"]: st for st in json.loads(sys.argv[1])["steps"] if st["kind"] == "setup"}
assert s["f"]["state"] == "blocked" and "image-backed containers run in N1, not F1" in s["f"]["reason"], s["f"]
assert s["a"]["execmode"] == "N1" and s["a"]["state"] == "todo", s["a"]' "$OUT"
cat >bad.yaml <<EOF
version: 1
containers:
  a:
    image: $B
    rootfs: tree
  b:
    image: $B
    ephemeral: true
EOF
ud validate -f bad.yaml
check "rootfs: tree is an error naming the choices" err_has "bad.yaml:5:13: container 'a': rootfs: found 'tree', expected one of dir, squash"
check "ephemeral without rootfs: squash is an error (in the same run)" err_has "container 'b': ephemeral: true needs rootfs: squash"
sed -i '/^  f:/,$d' spec.yaml
ud apply -f spec.yaml
check "apply of the spec (creates a, b, e): status" rc_is 0
check "apply made a image-backed" [ "$(cat "$UDOCKER_DIR/containers/a/rootfs" 2>/dev/null)" = squash ]
ida=$(readlink "$UDOCKER_DIR/containers/a")
ud plan -f spec.yaml
check "plan after apply: a is present" grep -q "^create present  a" <<<"$OUT"
sed -i '/^  a:/a\    rootfs: dir' spec.yaml
ud plan -f spec.yaml
check "another rootfs for an existing name is blocked, with the reason" out_has "the name a belongs to container $ida, an image-backed container; this spec asks for a directory container: set 'recreate: true' or remove it"
ud apply -f spec.yaml
check "... and apply does nothing: status 1" rc_is 1
check "... a is still image-backed" [ "$(cat "$UDOCKER_DIR/containers/a/rootfs")" = squash ]
sed -i '/^  a:/a\    recreate: true' spec.yaml
ud plan -f spec.yaml
check "recreate: true replaces it (plan)" out_has "container $ida is not a directory container: recreate it (recreate: true)"

# --- hostile container directories and killed runs
# An imported clone whose work/ is a link to a directory of the user's:
# nothing there is removed (run-* names look like a killed run's).
mkdir -p victim/run-999999-abcdef01 hc/ROOT hc/upper
echo keep >victim/run-999999-abcdef01/data
for f in container.json imagerepo.name image.digest rootfs; do cp "$dir/$f" hc/; done
ln -s "$T_TMP/victim" hc/work
tar -C hc -cf hc.tar .
ud import --clone hc.tar
check "import --clone of a container whose work/ is a link: status" rc_is 0
hid=$OUT
ud run "$hid" /bin/true
check "... its run is refused (exit 2)" rc_is 2
check "... nothing is removed through the link" [ "$(cat victim/run-999999-abcdef01/data)" = keep ]
ud rm "$hid"
# A run whose udocker was killed: its container goes on, and the next run
# of the container must leave its overlay's work directory alone.
# (removing a file of the image makes a whiteout: overlayfs needs its work
# directory for that)
"$UD_BIN" run sq /bin/sh -c 'sleep 3; rm /bin/md5sum && echo late >/etc/late' >/dev/null 2>&1 &
bg=$!
sleep 1.5
kill -9 "$bg"
wait "$bg" 2>/dev/null
ud run sq /bin/true
check "a run while a killed run's container goes on: status" rc_is 0
sleep 3
check "... the killed run's container could still write" [ "$(cat "$dir/upper/etc/late" 2>/dev/null)" = late ]
# clone copies a deep upper layer whole, or fails: never in part.
mkdir -p "$dir/upper/$(printf 'd/%.0s' $(seq 400))"
echo deep >"$dir/upper/$(printf 'd/%.0s' $(seq 400))f"
ud clone sq
check "clone of a 400-deep upper layer: status" rc_is 0
check "... the deepest file is there" [ "$(cat "$UDOCKER_DIR/containers/$OUT/upper/$(printf 'd/%.0s' $(seq 400))f")" = deep ]
ud rm "$OUT"
rm -rf "$dir/upper/d"

# --- docker-style run IMAGE
ud run --rootfs=squash --name=r1 "$B" /bin/sh -c 'echo hi >/f; cat /f'
check "run --rootfs=squash IMAGE: the command runs" out_is "hi"
check "... in a new image-backed container" [ "$(cat "$UDOCKER_DIR/containers/r1/rootfs")" = squash ]
ud run r1 cat /f
check "... whose changes persist" out_is "hi"
n_before=$(ls "$UDOCKER_DIR/containers" | wc -l)
ud run --rm --rootfs=squash "$B" /bin/sh -c 'echo x >/y; cat /y'
check "run --rm --rootfs=squash IMAGE: the command runs" out_is "x"
check "... and leaves no container" [ "$(ls "$UDOCKER_DIR/containers" | wc -l)" = "$n_before" ]
ud run --rootfs=squash --ephemeral --name=r2 "$B" /bin/sh -c 'echo x >/y'
check "run --ephemeral: status" rc_is 0
check "... an ephemeral image-backed container" [ "$(cat "$UDOCKER_DIR/containers/r2/rootfs")" = "squash ephemeral" ]
ud run r2 /bin/sh -c 'test -e /y && echo kept || echo gone'
check "... whose changes last one run" out_is "gone"
ud rm r1 r2

# --- export and clone
ud run sq /bin/sh -c 'echo changed >/etc/motd; rm /etc/profile; mkdir -p /new && echo x >/new/f'
check "a run changes the image-backed container: status" rc_is 0
ud export -o sq.tar sq
check "export of an image-backed container: status" rc_is 0
check "... holds the image's files" tar -xOf sq.tar ./bin/busybox >/dev/null
check "... and its changes" [ "$(tar -xOf sq.tar ./etc/motd)" = changed ]
check "... a new file" [ "$(tar -xOf sq.tar ./new/f)" = x ]
check "... not what it removed" bash -c '! tar -tf sq.tar | grep -qx "./etc/profile"'
ud export --clone sq
check "export --clone of an image-backed container: status 1" rc_is 1
check "... says to use clone" err_has "its directory holds no tree (udocker clone copies it"
# A config written on several lines (as some builders write it) is copied whole.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump(d, open(sys.argv[1], "w"), indent=2)' "$dir/container.json"
ud clone --name=sqc sq
check "clone of an image-backed container: status" rc_is 0
cid=$OUT
check "... its container.json whole (several lines)" cmp "$dir/container.json" "$UDOCKER_DIR/containers/$cid/container.json"
check "... the clone is image-backed, of the same image file" [ "$(cat "$UDOCKER_DIR/containers/$cid/rootfs")" = squash ]
ud run sqc /bin/sh -c 'cat /etc/motd /new/f; test -e /etc/profile || echo gone'
check "... it has the changes, the removal included" out_is "$(printf 'changed\nx\ngone')"
ud run sqc /bin/sh -c 'echo clone-only >/etc/motd'
ud run sq cat /etc/motd
check "... and its own changes stay its own" out_is "changed"
ud rm sqc
check "rm of the clone: status" rc_is 0
ud verify "$B"
check "verify of an image with an image file: status" rc_is 0
check "... checks the image file" err_has "image file ok: $file"
truncate -s 4096 "$file"
ud verify "$B"
check "verify of a damaged image file: status 1" rc_is 1
check "... says what is wrong" err_has "image file '$file' is truncated"
check "... and that it removed it" err_has "removed the damaged image file $file"
check "... it is gone" [ ! -e "$file" ]
ud run sq cat /etc/motd
check "a run whose image file is gone (its image is there): status" rc_is 0
check "... builds it again, and says so" err_has "its image file is missing: building it again from $B"
check "... and runs with the container's changes" out_is "changed"

# --- batch: apply --stage builds the image file once, offline tasks read it
mkdir -p results
cat >batch.yaml <<EOF
version: 1
tasks: 1-4
defaults:
  rootfs: squash
volumes:
  out: {host: "$T_TMP/results", path: /out}
containers:
  work:
    image: $B
    volumes: [out]
    commands: ["echo task \${TASK} > /out/t\${TASK}"]
EOF
rm -f "$file"
ud -D apply --stage -f batch.yaml
check "apply --stage of image-backed tasks: status" rc_is 0
check "... builds the image file" err_has "built the image file of $B"
before=$(stat -c '%i %Y' "$file")
for t in 1 2 3 4; do
  "$UD_BIN" -D apply --offline --task "$t" -f batch.yaml >"task$t.out" 2>"task$t.err" &
done
ok=0
for job in $(jobs -p); do wait "$job" && ok=$((ok + 1)); done
ERR=$(cat task*.err); check "4 offline tasks at once: all succeed ($ok)" [ "$ok" = 4 ]
check "... each wrote its result" [ "$(cat results/t1 results/t2 results/t3 results/t4 | tr '\n' ' ')" = "task 1 task 2 task 3 task 4 " ]
check "... none built the image file" bash -c '! grep -l "building the image file" task*.err'
check "... the image file is the staged one, unchanged" [ "$(stat -c '%i %Y' "$file")" = "$before" ]
check "... no partial image file left" [ -z "$(ls -A "$UDOCKER_DIR/squash/.partial" 2>/dev/null)" ]
check "... their container is image-backed" [ "$(cat "$UDOCKER_DIR/containers/work/rootfs")" = squash ]

# --- pull with UDOCKER_ROOTFS=squash prepares the image file
UDOCKER_ROOTFS=squash ud -D pull "$D"
check "UDOCKER_ROOTFS=squash pull: status" rc_is 0
check "... builds the image file" err_has "built the image file of $D"
dfile=$(ls "$UDOCKER_DIR"/squash/*.sqsh | grep -v "$digest")
check "... there it is" [ -f "$dfile" ]
UDOCKER_ROOTFS=squash ud -D create "$D"
check "then create: status" rc_is 0
check "... builds nothing" err_lacks "building the image file"
UDOCKER_ROOTFS=squash ud -D pull "$D"
check "pull again: the file is not built again" err_lacks "building the image file"
ud -D pull "$B"
check "pull without UDOCKER_ROOTFS builds no image file" err_lacks "image file"

# --- the image file goes with the last thing using it
ud rm sq
check "rm of one image-backed container: status" rc_is 0
check "... the image file stays (the image and other containers use it)" [ -f "$file" ]
ud rmi "$B"
check "rmi of the image while image-backed containers use it: status" rc_is 0
check "... the image file stays (containers use it)" [ -f "$file" ]
# shellcheck disable=SC2046
ud rm $(cd "$UDOCKER_DIR/containers" && grep -l squash -- */rootfs | cut -d/ -f1 | grep -Ex '[0-9a-f-]{36}')
check "rm of the last image-backed containers: status" rc_is 0
check "... the image file is gone with them" [ ! -e "$file" ]
expect_ok "pull busybox again" pull "$B"
ud create --rootfs=squash --name=again "$B"
check "a new image-backed container builds the file again" [ -f "$file" ]
ud rm again
check "rm of a container whose image is still there: the file stays" [ -f "$file" ]
ud rmi "$B"
check "rmi of the image nothing else uses: the file goes" [ ! -e "$file" ]
finish
exit $?
