# Dependencies, all from Debian packages (see README): found through pkg-config.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(FFTW3 REQUIRED IMPORTED_TARGET fftw3)    # double: DPSS design, references
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)  # single: spectrogram hot path
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
pkg_check_modules(LAPACKE REQUIRED IMPORTED_TARGET lapacke)
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)

# Libraries libclef links; also written to clef.pc (Requires.private) and clefConfig.cmake.
set(CLEF_PKG_REQUIRES "fftw3 fftw3f openblas lapacke libxml-2.0 sqlite3 jansson")
set(CLEF_DEP_TARGETS
  PkgConfig::FFTW3 PkgConfig::FFTW3F PkgConfig::OPENBLAS PkgConfig::LAPACKE
  PkgConfig::LIBXML2 PkgConfig::SQLITE3 PkgConfig::JANSSON Threads::Threads m)

# libpng (and its zlib) for the clef command's pictures only: libclef does not link it.
if(CLEF_BUILD_CLI)
  find_package(PNG REQUIRED)
endif()

if(CLEF_BUILD_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()

# Open MPI is optional: libclef.so never links it; only libclef_dist does.
set(CLEF_HAVE_MPI OFF)
if(NOT CLEF_WITH_MPI STREQUAL "OFF")
  if(CLEF_WITH_MPI STREQUAL "ON")
    find_package(MPI REQUIRED COMPONENTS C)
  else()
    find_package(MPI QUIET COMPONENTS C)
  endif()
  if(MPI_C_FOUND)
    set(CLEF_HAVE_MPI ON)
  endif()
endif()
message(STATUS "libclef: MPI support ${CLEF_HAVE_MPI}")
