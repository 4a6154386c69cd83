#!/usr/bin/env bash
# The git revision a store records is the one the binary was built from,
# taken at every build (cmake/gitrev.cmake), not when CMake configured: a
# commit after configuring shows up at the next build, a tracked file edited
# gives "-dirty", a build that changes nothing rewrites nothing, no git gives
# "unknown". Checked on a copy of the build files in a git repository of its
# own (configure and the one generating target, ~1 s), then on this build's
# binary: its --version and a file it writes carry its generated revision.
source "$(dirname "$0")/lib.sh"
BUILD=${LESDE_BUILD_DIR:-$ROOT/build}
for tool in git cmake; do
  command -v $tool >/dev/null || { echo "build_revision: SKIP: no $tool" >&2; exit 77; }
done
export GIT_CEILING_DIRECTORIES=$TMP # "outside git" even under a repository
G=(git -c user.name=lesde -c user.email=lesde@localhost -c commit.gpgsign=false)

S=$TMP/src B=$TMP/build
mkdir -p "$S"
cp -r "$ROOT/CMakeLists.txt" "$ROOT/cmake" "$ROOT/src" "$S/"
expect_exit 0 "configure a copy without git" cmake -S "$S" -B "$B" -DCMAKE_BUILD_TYPE=Release
rev_in() { sed -n 's/^#define LESDE_GIT_REV "\(.*\)"$/\1/p' "$1/gen/lesde_gitrev.h"; }
rev_built() { # the revision the build generates now
  cmake --build "$B" --target lesde_gitrev >/dev/null 2>&1 || { echo "build failed"; return; }
  rev_in "$B"
}
check "outside git: unknown" test "$(rev_built)" = unknown

(cd "$S" && git init -q && git add -A && "${G[@]}" commit -qm first) || exit 1
first=$(git -C "$S" rev-parse --short=12 HEAD)
check "git init after configuring: the commit ($(rev_built))" test "$(rev_built)" = "$first"
stamp=$(stat -c %Y.%y "$B/gen/lesde_gitrev.h")
sleep 1.1 # a rewrite would show in the mtime
check "a build that changes nothing: the header untouched" test "$(rev_built)" = "$first"
check "  (same mtime)" test "$(stat -c %Y.%y "$B/gen/lesde_gitrev.h")" = "$stamp"

(cd "$S" && "${G[@]}" commit -q --allow-empty -m second) || exit 1
second=$(git -C "$S" rev-parse --short=12 HEAD)
check "a commit after configuring: the new one ($(rev_built), not $first)" test "$(rev_built)" = "$second"
echo "/* edited */" >>"$S/src/core/version.h"
check "a tracked file edited: -dirty" test "$(rev_built)" = "$second-dirty"
echo "untracked" >"$S/notes.txt"
git -C "$S" checkout -q -- src/core/version.h
check "an untracked file only: clean" test "$(rev_built)" = "$second"

# This build's binary and what it writes carry its generated revision.
built=$(rev_in "$BUILD")
check "this build generated a revision" test -n "$built"
expect_exit 0 "lesde --version" "$LESDE" --version
check "--version: git $built" grep -qF "(git $built)" "$TMP/out"
cp "$TMP/out" "$TMP/version.out"
expect_exit 0 "a short train" "$LESDE" train --quiet --iters 30 --train-per-class 10 \
  --val-per-class 5 --checkpoints 3 --snapshots 2 --probe-per-class 5 --out "$TMP/run.h5"
check "the file's git_revision: $built" /usr/bin/python3 -c "
import h5py, sys
v = h5py.File(sys.argv[1], 'r').attrs['git_revision']
sys.exit(0 if (v.decode() if isinstance(v, bytes) else str(v)) == sys.argv[2] else 1)" "$TMP/run.h5" "$built"
# ... and how it was built (type, -march, compiler): the same line in both
check "--version: the build line" grep -Eq "^build: [A-Za-z]+, (-march=native|no -march=native)(, sanitizers)?(, kernel paths [a-z0-9]+( [a-z0-9]+)*)?, (GCC|clang) [0-9]" "$TMP/version.out"
build=$(sed -n 's/^build: //p' "$TMP/version.out")
check "the file's build: $build" /usr/bin/python3 -c "
import h5py, sys
v = h5py.File(sys.argv[1], 'r').attrs['build']
sys.exit(0 if (v.decode() if isinstance(v, bytes) else str(v)) == sys.argv[2] else 1)" "$TMP/run.h5" "$build"
# A build of the paths its machine runs (LESDE_KERNELS_HERE: tests/run.sh's
# ASan build) has each path this CPU runs and none it cannot (the x86-64
# levels' flags), and refuses those as not built; a plain build has all.
paths=$(sed -n 's/^build: .*, kernel paths \([a-z0-9 ]*\), .*/\1/p' "$TMP/version.out")
if [ -n "$paths" ] && [ "$(uname -m)" = x86_64 ]; then
  fl=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  has() { for f in "$@"; do [[ $fl == *" $f "* ]] || return 1; done; }
  for p in avx512 avx2 c; do
    case $p in
      avx512) has avx512f avx512bw avx512cd avx512dq avx512vl avx2 fma && want=1 || want=0 ;;
      avx2) has avx2 fma bmi1 bmi2 movbe f16c && want=1 || want=0 ;;
      c) want=1 ;;
    esac
    in=0
    [[ " $paths " == *" $p "* ]] && in=1
    check "kernel paths '$paths': $p built ($in) iff this CPU runs it ($want)" test "$in" = "$want"
    LESDE_KERNELS=$p "$LESDE" status "$TMP/none.h5" >/dev/null 2>"$TMP/path.err"
    if [ "$in" = 1 ]; then
      check "kernel paths: $p taken" sh -c "! grep -q 'LESDE_KERNELS' '$TMP/path.err'"
    else
      check "kernel paths: $p refused as not built" grep -q "LESDE_KERNELS=$p: not a kernel path of this build ($(echo "$paths" | sed 's/ /, /g'))" "$TMP/path.err"
    fi
  done
fi
# a fit's file records them too
printf 't,class,x0,x1\n0,0,1,0\n0,1,0,1\n1,0,2,0\n1,1,0,2\n2,0,3,0\n2,1,0,3\n3,0,4,0\n3,1,0,4\n' >"$TMP/m.csv"
expect_exit 0 "a fit" "$LESDE" fit "$TMP/m.csv" --quiet --out "$TMP/fit.h5"
check "the fit's git_revision and build" /usr/bin/python3 -c "
import h5py, sys
a = h5py.File(sys.argv[1], 'r').attrs
s = lambda v: v.decode() if isinstance(v, bytes) else str(v)
sys.exit(0 if s(a['git_revision']) == sys.argv[2] and s(a['build']) == sys.argv[3] else 1)" "$TMP/fit.h5" "$built" "$build"
finish
