#!/usr/bin/env bash
# Installs what is missing (Debian packages, as root), then configures and
# builds lesde into build/ (or $LESDE_BUILD). Installs nothing when every
# package is present. Usage: jobs/setup.sh [--test] [--sanitize]
#   --test      also the packages the test suite needs
#   --sanitize  build with AddressSanitizer + UBSan (-DLESDE_SANITIZE=ON),
#               into build-asan/ unless $LESDE_BUILD says otherwise, with
#               only the CNN kernel paths this machine runs (and c): a
#               build to test here (-DLESDE_KERNELS_HERE=ON)
set -euo pipefail
case ${1:-} in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
cd "$(dirname "$0")/.."

build_pkgs=(build-essential cmake pkg-config git openmpi-bin libopenmpi-dev
            libhdf5-openmpi-dev hdf5-tools libopenblas-dev libgsl-dev libinih-dev
            libglpk-dev libpng-dev zlib1g-dev gnuplot-nox dataset-fashion-mnist)
# mpich, libmpich-dev, libhdf5-mpich-dev: the portability test builds with MPICH
# (the default build stays on Open MPI: cmake/MpiHdf5.cmake); libhdf5-dev:
# the serial HDF5 that configure must refuse; xarray, h5netcdf, netCDF4: the
# store as netCDF readers see it; clang, libclang-rt-14-dev: the fuzz targets;
# gdb: stops a sweep at a chosen point of its store's creation to kill it.
test_pkgs=(python3 python3-numpy python3-h5py python3-torch python3-xarray python3-h5netcdf
           python3-netcdf4 slurm-wlm munge valgrind mpich libmpich-dev libhdf5-mpich-dev
           libhdf5-dev clang libclang-rt-14-dev gdb)

want=("${build_pkgs[@]}")
sanitize=OFF
for arg in "$@"; do
  case "$arg" in
    --test) want+=("${test_pkgs[@]}") ;;
    --sanitize) sanitize=ON ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "lesde: missing Debian packages: ${missing[*]}" >&2
    echo "lesde: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "lesde: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A sanitized build never lands in the shared build/ by accident.
if [ "$sanitize" = ON ]; then build=${LESDE_BUILD:-build-asan}; else build=${LESDE_BUILD:-build}; fi
cmake_args=(-DCMAKE_BUILD_TYPE=Release -DLESDE_SANITIZE=$sanitize -DLESDE_KERNELS_HERE=$sanitize)
[ "${CI:-}" = true ] && cmake_args+=(-DLESDE_WERROR=ON)
cmake -S . -B "$build" "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
echo "lesde: built $build/lesde" >&2
