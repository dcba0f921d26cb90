/* version.c — versions and build information. SPDX-License-Identifier: BSD-3-Clause */
#include "core_int.h"

#include <cblas.h>
#include <fftw3.h>
#include <jansson.h>
#include <libxml/xmlversion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>

#ifndef CLEF_SOURCE_ID
#define CLEF_SOURCE_ID "unknown"
#endif
#ifndef CLEF_BUILD_TYPE
#define CLEF_BUILD_TYPE "unknown"
#endif

const char *clef_version(void) { return CLEF_VERSION_STRING; }
int32_t clef_version_number(void) { return CLEF_VERSION_NUMBER; }
int32_t clef_abi_version(void) { return CLEF_ABI_VERSION; }
const char *clef_source_id(void) { return CLEF_SOURCE_ID; }

static char g_build_info[1024];
static pthread_once_t g_build_once = PTHREAD_ONCE_INIT;

/* Versions of the libraries actually loaded, not just compiled against: a mismatch between
 * build and run machines is the first thing a bug report needs. */
static void make_build_info(void) {
    snprintf(g_build_info, sizeof g_build_info,
             "libclef %s (%s, abi %d, %s) cc %s; %s; OpenBLAS %s (kernel %s); SQLite %s; "
             "libxml2 %s; jansson %s; CPU %s",
             CLEF_VERSION_STRING, CLEF_SOURCE_ID, CLEF_ABI_VERSION, CLEF_BUILD_TYPE,
#if defined(__VERSION__)
             __VERSION__,
#else
             "unknown",
#endif
             fftwf_version, openblas_get_config(), clef_blas_kernel(), sqlite3_libversion(),
             LIBXML_DOTTED_VERSION, JANSSON_VERSION, clef_cpu_isa());
}

const char *clef_build_info(void) {
    pthread_once(&g_build_once, make_build_info);
    return g_build_info;
}
