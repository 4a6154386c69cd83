# MPI, and a parallel HDF5 built with that same MPI (included by CMakeLists.txt).
#
# What the user names wins:
#   MPI   -DMPI_C_COMPILER=mpicc.mpich (or cc on Cray), -DMPI_HOME=DIR or
#         $MPI_HOME, or the mpicc that a site module puts first on PATH;
#   HDF5  -DHDF5_C_COMPILER_EXECUTABLE=.../h5pcc, -DHDF5_ROOT=DIR or
#         $HDF5_ROOT, -DHDF5_DIR=DIR (a CMake-built HDF5), or the h5pcc on PATH.
# Debian's /usr/bin/mpicc and /usr/bin/h5pcc are alternatives links, which
# installing MPICH or switching alternatives can point at MPICH. So when
# nothing is named and the mpicc on PATH is one of Debian's, the build is
# pinned to Debian's Open MPI (mpicc.openmpi); and when the MPI is Debian's
# mpicc.FLAVOUR and no HDF5 is named, to its HDF5 (h5pcc.FLAVOUR).
#
# Sets: MPI::MPI_C, LESDE_HDF5_INCLUDE_DIRS, LESDE_HDF5_LIBRARIES,
# LESDE_HDF5_DEFINITIONS. Fails at configure time when HDF5 is serial, or
# when it is linked with another MPI library than the one found.

# _lesde_debian_flavour(PATH OUT): "openmpi" or "mpich" when PATH is, or
# links to, Debian's /usr/bin/mpicc.FLAVOUR (through /etc/alternatives);
# else "". Followed link by link: mpicc.openmpi itself links to opal_wrapper.
function(_lesde_debian_flavour path out)
  set(flavour "")
  foreach(i RANGE 8)
    if(path MATCHES "^/usr/bin/mpicc\\.([a-z0-9]+)$")
      set(flavour "${CMAKE_MATCH_1}")
      break()
    endif()
    if(NOT IS_SYMLINK "${path}")
      break()
    endif()
    get_filename_component(dir "${path}" DIRECTORY)
    file(READ_SYMLINK "${path}" path)
    if(NOT IS_ABSOLUTE "${path}")
      set(path "${dir}/${path}")
    endif()
  endforeach()
  set(${out} "${flavour}" PARENT_SCOPE)
endfunction()

# A build directory configured when lesde took HDF5 from pkg-config holds
# that module's HDF5_* entries, which FindHDF5 would take as its own.
if(DEFINED CACHE{HDF5_MODULE_NAME})
  get_cmake_property(_vars CACHE_VARIABLES)
  foreach(v ${_vars})
    get_property(type CACHE ${v} PROPERTY TYPE)
    if(v MATCHES "^HDF5_" AND type STREQUAL INTERNAL)
      unset(${v} CACHE)
    endif()
  endforeach()
  unset(HDF5_HL_LIB CACHE)
  # and FindMPI's answer then, Debian's alternatives link: pin it below
  if(MPI_C_COMPILER STREQUAL "/usr/bin/mpicc")
    unset(MPI_C_COMPILER CACHE)
    unset(MPIEXEC_EXECUTABLE CACHE)
  endif()
endif()

set(_lesde_mpi_named FALSE)
if(MPI_C_COMPILER OR MPI_HOME OR DEFINED ENV{MPI_HOME})
  set(_lesde_mpi_named TRUE)
endif()
if(NOT _lesde_mpi_named AND EXISTS /usr/bin/mpicc.openmpi)
  find_program(LESDE_MPICC_ON_PATH mpicc)
  mark_as_advanced(LESDE_MPICC_ON_PATH)
  set(_flavour "none on PATH")
  if(LESDE_MPICC_ON_PATH)
    _lesde_debian_flavour("${LESDE_MPICC_ON_PATH}" _flavour)
  endif()
  if(_flavour) # else a module's mpicc: FindMPI takes it
    set(MPI_C_COMPILER /usr/bin/mpicc.openmpi CACHE FILEPATH
        "MPI C compiler wrapper (lesde pins Debian's Open MPI when none is named)")
    set(MPIEXEC_EXECUTABLE /usr/bin/mpiexec.openmpi CACHE FILEPATH "MPI launcher")
    message(STATUS "MPI: Debian's Open MPI (${MPI_C_COMPILER}); another MPI: "
                   "-DMPI_C_COMPILER=/usr/bin/mpicc.mpich (see docs/cluster.md)")
  endif()
endif()
# Its launcher: FindMPI looks beside the compiler wrapper and, for Debian's
# /usr/bin/mpicc.mpich, finds /usr/bin/mpiexec, the alternatives link that
# stays Open MPI's when MPICH is installed beside it; Open MPI's mpiexec
# would start N one-rank copies of an MPICH build. So Debian's
# mpicc.FLAVOUR gets mpiexec.FLAVOUR, unless a launcher other than the
# alternatives links is named.
if(MPI_C_COMPILER)
  _lesde_debian_flavour("${MPI_C_COMPILER}" _flavour)
  if(_flavour AND EXISTS /usr/bin/mpiexec.${_flavour} AND
     (NOT MPIEXEC_EXECUTABLE OR MPIEXEC_EXECUTABLE MATCHES "^/usr/bin/(mpiexec|mpirun)$"))
    set(MPIEXEC_EXECUTABLE /usr/bin/mpiexec.${_flavour} CACHE FILEPATH "MPI launcher" FORCE)
  endif()
endif()
find_package(MPI REQUIRED COMPONENTS C)

set(_lesde_hdf5_named FALSE)
if(HDF5_C_COMPILER_EXECUTABLE OR HDF5_ROOT OR DEFINED ENV{HDF5_ROOT} OR HDF5_DIR)
  set(_lesde_hdf5_named TRUE)
endif()
if(NOT _lesde_hdf5_named)
  _lesde_debian_flavour("${MPI_C_COMPILER}" _flavour)
  if(_flavour AND EXISTS /usr/bin/h5pcc.${_flavour})
    set(HDF5_C_COMPILER_EXECUTABLE /usr/bin/h5pcc.${_flavour} CACHE FILEPATH
        "HDF5 C compiler wrapper (lesde: Debian's HDF5 of the MPI found)")
  endif()
endif()
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C HL)
set(LESDE_HDF5_INCLUDE_DIRS ${HDF5_INCLUDE_DIRS})
set(LESDE_HDF5_LIBRARIES ${HDF5_HL_LIBRARIES} ${HDF5_C_LIBRARIES})
# lesde is written to HDF5 1.10's API (H5Ovisit with H5O_info_t, ...), the
# one Debian 12 ships; 1.12 and later map those names to new signatures
# unless asked for the 1.10 ones (a no-op on 1.10). Built and tested here
# with 1.10.8 only.
set(LESDE_HDF5_DEFINITIONS ${HDF5_DEFINITIONS} H5_USE_110_API)
set(_hdf5_where "${HDF5_C_COMPILER_EXECUTABLE}")
if(NOT _hdf5_where)
  set(_hdf5_where "${HDF5_INCLUDE_DIRS}")
endif()

# The store writes one file from many ranks: a serial HDF5 cannot do that.
# Asked twice: FindHDF5's answer (from the wrapper or the settings file) and
# the header itself.
include(CheckSymbolExists)
set(CMAKE_REQUIRED_INCLUDES ${LESDE_HDF5_INCLUDE_DIRS} ${MPI_C_INCLUDE_DIRS})
set(CMAKE_REQUIRED_LIBRARIES ${LESDE_HDF5_LIBRARIES} MPI::MPI_C)
check_symbol_exists(H5_HAVE_PARALLEL "hdf5.h" LESDE_HDF5_PARALLEL)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT HDF5_IS_PARALLEL OR NOT LESDE_HDF5_PARALLEL)
  message(FATAL_ERROR "lesde needs a parallel HDF5 (built with MPI), but the HDF5 found "
    "(${_hdf5_where}, version ${HDF5_VERSION}) is serial. Name the parallel one: "
    "-DHDF5_C_COMPILER_EXECUTABLE=/path/to/h5pcc or -DHDF5_ROOT=DIR (on Debian: "
    "apt-get install libhdf5-openmpi-dev, or libhdf5-mpich-dev for MPICH). "
    "Then configure a new build directory.")
endif()

# One program cannot use two MPI libraries (it aborts at run time, e.g.
# "MPII_Comm_set_attr: Invalid communicator"): the MPI library that the
# shared HDF5 library needs must be the one found. Compared by the
# libraries' SONAMEs (objdump -p). A static HDF5 has none to compare: its
# MPI symbols then fail the link instead when the MPIs differ.
function(_lesde_dyn lib key out)
  set(vals "")
  if(CMAKE_OBJDUMP AND EXISTS "${lib}")
    execute_process(COMMAND "${CMAKE_OBJDUMP}" -p "${lib}" OUTPUT_VARIABLE dump
                    ERROR_QUIET RESULT_VARIABLE rc)
    if(rc EQUAL 0)
      string(REGEX MATCHALL "${key} +[^\n]+" lines "${dump}")
      foreach(l ${lines})
        string(REGEX REPLACE "^${key} +" "" l "${l}")
        string(STRIP "${l}" l)
        list(APPEND vals "${l}")
      endforeach()
    endif()
  endif()
  set(${out} "${vals}" PARENT_SCOPE)
endfunction()

set(_mpi_sonames "")
foreach(lib ${MPI_C_LIBRARIES})
  _lesde_dyn("${lib}" SONAME so)
  list(APPEND _mpi_sonames ${so})
endforeach()
set(_hdf5_mpi "")
set(_hdf5_lib "")
foreach(lib ${HDF5_C_LIBRARIES})
  get_filename_component(name "${lib}" NAME)
  if(name MATCHES "^libhdf5[^/]*\\.so" AND NOT _hdf5_lib)
    set(_hdf5_lib "${lib}")
    _lesde_dyn("${lib}" NEEDED needed)
    foreach(n ${needed})
      if(n MATCHES "^libmpi")
        list(APPEND _hdf5_mpi "${n}")
      endif()
    endforeach()
  endif()
endforeach()
if(_hdf5_mpi AND _mpi_sonames)
  set(_same FALSE)
  foreach(n ${_hdf5_mpi})
    if(n IN_LIST _mpi_sonames)
      set(_same TRUE)
    endif()
  endforeach()
  if(NOT _same)
    string(REPLACE ";" ", " _hdf5_mpi "${_hdf5_mpi}")
    string(REPLACE ";" ", " _mpi_sonames "${_mpi_sonames}")
    message(FATAL_ERROR "lesde: the parallel HDF5 found (${_hdf5_lib}) is built with another MPI "
      "than the one found: it needs ${_hdf5_mpi}, but MPI_C_COMPILER=${MPI_C_COMPILER} "
      "links ${_mpi_sonames}, and one program cannot use both. Name the HDF5 of this MPI: "
      "-DHDF5_C_COMPILER_EXECUTABLE=/path/to/its/h5pcc or -DHDF5_ROOT=DIR (on Debian: "
      "/usr/bin/h5pcc.mpich for MPICH, /usr/bin/h5pcc.openmpi for Open MPI), "
      "in a new build directory.")
  endif()
  message(STATUS "HDF5 ${HDF5_VERSION} (parallel, ${_hdf5_where}) uses the MPI found: ${_hdf5_mpi}")
else()
  message(STATUS "HDF5 ${HDF5_VERSION} (parallel, ${_hdf5_where}): its MPI library could not be "
                 "compared with the one found (a static HDF5?); a mismatch fails the link")
endif()

# The launcher must be the MPI library's: a launcher of another MPI starts
# N one-rank copies (each takes the store's lock, or each trains every
# task). Told apart by what `--version` prints (Open MPI: "Open MPI" or
# "OpenRTE"; MPICH's and Intel MPI's Hydra: "HYDRA") against the library's
# SONAME (libmpi.so.40 is Open MPI's; libmpich.so.12 and libmpi.so.12
# MPICH's ABI); a launcher that says neither is not judged.
if(MPIEXEC_EXECUTABLE AND EXISTS "${MPIEXEC_EXECUTABLE}" AND _mpi_sonames)
  execute_process(COMMAND "${MPIEXEC_EXECUTABLE}" --version OUTPUT_VARIABLE _out
                  ERROR_VARIABLE _out RESULT_VARIABLE _rc TIMEOUT 20)
  set(_launcher_mpi "")
  if(_out MATCHES "Open MPI|OpenRTE")
    set(_launcher_mpi "Open MPI")
  elseif(_out MATCHES "HYDRA")
    set(_launcher_mpi "MPICH")
  endif()
  set(_library_mpi "")
  if(_mpi_sonames MATCHES "libmpi\\.so\\.4[0-9]")
    set(_library_mpi "Open MPI")
  elseif(_mpi_sonames MATCHES "libmpich\\.so|libmpi\\.so\\.12")
    set(_library_mpi "MPICH")
  endif()
  if(_launcher_mpi AND _library_mpi AND NOT _launcher_mpi STREQUAL _library_mpi)
    string(REPLACE ";" ", " _so "${_mpi_sonames}")
    message(FATAL_ERROR "lesde: the MPI launcher found, MPIEXEC_EXECUTABLE=${MPIEXEC_EXECUTABLE}, "
      "is ${_launcher_mpi}'s, but MPI_C_COMPILER=${MPI_C_COMPILER} links ${_so} "
      "(${_library_mpi}): it would start one-rank copies of lesde. Name this MPI's launcher: "
      "-DMPIEXEC_EXECUTABLE=/path/to/its/mpiexec (on Debian: /usr/bin/mpiexec.mpich for "
      "MPICH, /usr/bin/mpiexec.openmpi for Open MPI).")
  endif()
  if(NOT _launcher_mpi)
    set(_launcher_mpi "not told by its --version")
  endif()
  message(STATUS "MPI launcher: ${MPIEXEC_EXECUTABLE} (${_launcher_mpi})")
endif()

# Debian's shared libhdf5 needs ~30 more shared libraries (libcurl for its
# S3 driver, then TLS, Kerberos, LDAP, ...) that the dynamic loader maps and
# relocates at every start of lesde: ~14 ms (`lesde train --help` 37 -> 23
# ms; a quickstart task's store takes ~30 ms to create). Its static
# libraries (in the same -dev package) bring only what lesde calls, and
# --as-needed drops the unused libraries from the link line. Where there are no static libraries beside the shared ones (many
# site builds), the shared ones stay.
option(LESDE_HDF5_STATIC "Link HDF5's static libraries when they sit beside its shared ones" ON)
set(LESDE_HDF5_LINK_OPTIONS "")
if(LESDE_HDF5_STATIC)
  set(_libs "")
  set(_static FALSE)
  foreach(lib ${LESDE_HDF5_LIBRARIES})
    set(_a "")
    if(lib MATCHES "^(.*/libhdf5[^/]*)\\.so$") # (CMAKE_MATCH_1 is set after the if's arguments)
      set(_a "${CMAKE_MATCH_1}.a")
    endif()
    if(_a AND EXISTS "${_a}")
      list(APPEND _libs "${_a}")
      set(_static TRUE)
    else()
      list(APPEND _libs "${lib}")
    endif()
  endforeach()
  if(_static)
    set(LESDE_HDF5_LIBRARIES ${_libs} ${CMAKE_DL_LIBS})
    set(LESDE_HDF5_LINK_OPTIONS -Wl,--as-needed)
    message(STATUS "HDF5: its static libraries (-DLESDE_HDF5_STATIC=OFF for the shared ones)")
  endif()
endif()
