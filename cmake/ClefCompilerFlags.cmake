# Warnings, visibility and sanitizers for every target in the tree.
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  add_compile_options(-Wall -Wextra -Wpedantic
    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes> -Wshadow -Wformat=2)
  if(CLEF_WERROR)
    add_compile_options(-Werror)
  endif()
endif()
set(CMAKE_C_VISIBILITY_PRESET hidden)
set(CMAKE_CXX_VISIBILITY_PRESET hidden)
set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)

if(CLEF_SANITIZE)
  # halt on the first report: a sanitizer finding fails the test that triggered it
  add_compile_options(-fsanitize=${CLEF_SANITIZE} -fno-sanitize-recover=all
    -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${CLEF_SANITIZE})
  message(STATUS "libclef: sanitizers ${CLEF_SANITIZE}")
endif()

# Source revision for clef_source_id().
execute_process(COMMAND git describe --always --dirty --tags
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
  OUTPUT_VARIABLE CLEF_SOURCE_ID OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT CLEF_SOURCE_ID)
  set(CLEF_SOURCE_ID "unknown")
endif()
