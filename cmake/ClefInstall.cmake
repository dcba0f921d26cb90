# Installation: header, shared + static libraries, pkg-config file, CMake package.
include(CMakePackageConfigHelpers)

install(FILES include/clef.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS clef clef_static EXPORT clefTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET clef_cli)
  install(TARGETS clef_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/clef)
install(EXPORT clefTargets NAMESPACE clef:: DESTINATION ${_cmakedir})
configure_package_config_file(cmake/clefConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/clefConfig.cmake INSTALL_DESTINATION ${_cmakedir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/clefConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/clefConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/clefConfigVersion.cmake DESTINATION ${_cmakedir})

# Relocatable: prefix is found from the .pc file's own location (pkg-config's pcfiledir).
file(RELATIVE_PATH CLEF_PC_TO_PREFIX "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
configure_file(cmake/clef.pc.in ${CMAKE_CURRENT_BINARY_DIR}/clef.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/clef.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
# the shipped default models (docs/models.md), found by clef_default_model_path()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/ DESTINATION ${CMAKE_INSTALL_DATADIR}/clef/models
  FILES_MATCHING PATTERN "*.safetensors")
