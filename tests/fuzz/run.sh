#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined,
# the src files each needs linked directly) into build-fuzz/ (or
# $LESDE_FUZZ_BUILD) and runs each for SECONDS, one at a time, from its seed
# corpus tests/fuzz/corpus/<target>/ (copied into build-fuzz/corpus/<target>/,
# where new inputs go); crashes go to build-fuzz/crash/<target>/.
#   tests/fuzz/run.sh SECONDS [TARGET...]     (default: every target)
#   tests/fuzz/run.sh 0                      only builds
# Needs clang and libclang-rt-14-dev (Debian; exit 77 without clang). Exit 1
# if a target fails. ctest's fuzz.smoke runs it for 5 s a target.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:?usage: tests/fuzz/run.sh SECONDS [TARGET...]}
shift
all=(spec idx cifar10 csv store)
targets=("${@:-${all[@]}}")
out=${LESDE_FUZZ_BUILD:-build-fuzz}
CC=${CC:-clang}
# 77: skipped (ctest's fuzz.smoke), as the other tests that lack a tool
command -v "$CC" >/dev/null || { echo "fuzz: SKIP: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 77; }

# Every src file of the stages a target reaches is compiled once,
# instrumented, into an archive; each target links it, so only the objects
# it needs are pulled in (spec: src/spec, src/train/config.c, ...; idx and
# cifar10: src/data; csv: src/le/csv.c; store: src/store and what its field
# table needs). No target reaches nn, run or report: the CNN kernels alone
# were a third of the build's time. (A target that does fails to link.)
lib_srcs=$(ls src/{core,data,train,le,spec,store}/*.c)
# the git revision, as the CMake build takes it (rewritten only when it changes)
cmake -DSRC=. -DOUT="$out/gen/lesde_gitrev.h" -P cmake/gitrev.cmake
cflags=(-g -O1 -std=gnu11 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
        -fno-omit-frame-pointer -Isrc -I"$out/gen" -DLESDE_VERSION='"fuzz"' -DH5_USE_110_API
        $(pkg-config --cflags hdf5-openmpi gsl inih libpng zlib openblas) $(mpicc --showme:compile))
libs=(-L/usr/lib/x86_64-linux-gnu/hdf5/openmpi -lhdf5_hl -lhdf5 $(mpicc --showme:link)
      $(pkg-config --libs gsl openblas inih libpng zlib) -lglpk -lm -lpthread)

mkdir -p "$out/obj"
objname() { echo "$out/obj/$(echo "${1%.c}" | tr / _).o"; }
objs=()
stale=()
for src in $lib_srcs; do # rebuilt when older than its source or any header
  obj=$(objname "$src")
  objs+=("$obj")
  if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find src "$out/gen" -name '*.h' -newer "$obj" | head -1)" ]; then
    rm -f "$obj"
    stale+=("$src")
  fi
done
pids=() # compile nproc at a time; a failed compile stops the script (set -e)
for src in "${stale[@]}"; do
  "$CC" "${cflags[@]}" -c "$src" -o "$(objname "$src")" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$(nproc)" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
lib=$out/liblesde-fuzz.a
if [ ${#stale[@]} -gt 0 ] || [ ! -e "$lib" ]; then rm -f "$lib"; ar rcs "$lib" "${objs[@]}"; fi
for t in "${targets[@]}"; do
  case " ${all[*]} " in *" $t "*) ;; *) echo "fuzz: unknown target $t (${all[*]})" >&2; exit 2 ;; esac
  "$CC" "${cflags[@]}" -fsanitize=fuzzer tests/fuzz/fuzz_$t.c "$lib" "${libs[@]}" -o "$out/fuzz_$t"
done
echo "fuzz: built ${targets[*]} in $out" >&2
[ "$secs" -gt 0 ] || exit 0

# A malloc of more than 2 GB fails (NULL) as it may in production, rather
# than stopping the run: a damaged header may ask for any size.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:max_allocation_size_mb=2048}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0}
# Where a crash happened: the first frame past the sanitizer's interceptors
# and libc's memory functions, and for a bad access to the heap the first
# such frame where that memory was allocated. HDF5 1.10 is not hardened
# against crafted files (its authors say so): a crash inside libhdf5 on
# memory libhdf5 allocated is counted apart and does not fail the run; any
# other crash (in lesde, or on a buffer lesde gave HDF5) does.
frames() { # the interesting frames of a report section
  grep -E '^ *#[0-9]+ ' |
    grep -vE 'in (__interceptor_|__asan|__sanitizer|__ubsan|__memcpy|__memmove|__strlen|strdup|malloc|calloc|realloc|memcpy|memmove|abort|raise|__pthread_kill|fuzzer::|operator new)|libc\.so|libasan|libclang_rt' |
    head -1 | sed 's/ (BuildId.*//; s/^ *#[0-9]* 0x[0-9a-f]* \(in \)\{0,1\}//'
}
where() {
  local report
  # An input that hangs (libFuzzer's timeout-*) is stopped after 60 s with
  # SIGABRT, which ASan reports with the stack where it hung.
  report=$(ASAN_OPTIONS=$ASAN_OPTIONS:handle_abort=1 timeout -s ABRT 60 "$out/fuzz_$1" "$2" 2>&1 || true)
  if ! echo "$report" | grep -qE '^ *#[0-9]+ '; then
    echo "not reproduced alone"; return
  fi
  echo "at $(echo "$report" | sed '/allocated by thread/,$d' | frames)" \
       "| memory from $(echo "$report" | sed -n '/allocated by thread/,$p' | frames)"
}
status=0
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t" "$out/crash/$t"
  # The seeds are copied: libFuzzer adds inputs to the corpus it is given.
  cp -n tests/fuzz/corpus/"$t"/* "$out/corpus/$t/"
  echo "fuzz: $t for $secs s" >&2
  # Fork mode: a crash is saved and fuzzing goes on (the HDF5 ones are many).
  "$out/fuzz_$t" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -max_total_time="$secs" -rss_limit_mb=3072 -malloc_limit_mb=4096 -timeout=20 \
    -artifact_prefix="$out/crash/$t/" "$out/corpus/$t" >"$out/$t.log" 2>&1 || true
  execs=$(grep -oE '^#[0-9]+' "$out/$t.log" | tail -1 | tr -d '#')
  ours=0 hdf5=0 alone=0
  rm -rf /dev/shm/lesde-fuzz-* /tmp/lesde-fuzz-* # temporaries of crashed jobs
  slow=$(ls "$out/crash/$t" | grep -c '^slow-unit-' || true)
  for c in "$out/crash/$t"/*; do
    [ -f "$c" ] || continue
    case $(basename "$c") in slow-unit-*) continue ;; esac # slow, not wrong
    w=$(where "$t" "$c")
    case $w in
      "not reproduced"*) alone=$((alone + 1)) ;; # state of an earlier input: listed, not counted
      *libhdf5*/src/*|*/src/*libhdf5*) ours=$((ours + 1)) ;; # lesde's memory in HDF5, or the reverse
      *libhdf5*) hdf5=$((hdf5 + 1)); continue ;;
      *) ours=$((ours + 1)) ;;
    esac
    echo "fuzz: $t: $(basename "$c"): $w" >&2
  done
  echo "fuzz: $t: ${execs:-0} executions, $ours crashes in lesde, $hdf5 inside libhdf5," \
       "$alone not reproduced alone, $slow slow inputs (log $out/$t.log)" >&2
  [ "$ours" -eq 0 ] || status=1
done
exit $status
