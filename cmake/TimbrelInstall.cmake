# Install: the `timbrel` command, libtimbrel.so (and its torch module) with the public headers, a CMake package
# (find_package(Timbrel) -> timbrel::timbrel), a pkg-config file, and the bundled models (found by
# the library under PREFIX/share/timbrel/models).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TIMBREL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Timbrel)
install(TARGETS timbrel RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS timbrel_shared EXPORT TimbrelTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The torch module, which libtimbrel.so loads from beside itself.
install(TARGETS timbrel_torch_module LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/timbrel DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/timbrel/build_config.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/timbrel)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/ DESTINATION ${CMAKE_INSTALL_DATADIR}/timbrel/models)
install(EXPORT TimbrelTargets NAMESPACE timbrel:: DESTINATION ${TIMBREL_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/TimbrelConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/TimbrelConfig.cmake INSTALL_DESTINATION ${TIMBREL_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/TimbrelConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/TimbrelConfig.cmake ${PROJECT_BINARY_DIR}/TimbrelConfigVersion.cmake
        DESTINATION ${TIMBREL_CMAKE_DIR})

# Relocatable: the prefix is found from the .pc file's own folder.
file(RELATIVE_PATH TIMBREL_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${PROJECT_SOURCE_DIR}/cmake/timbrel.pc.in ${PROJECT_BINARY_DIR}/timbrel.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/timbrel.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TIMBREL_BUILD_TESTS)
  # Installs this build into a scratch prefix and builds examples/consumer against it, through
  # find_package and through pkg-config, then runs both.
  add_test(NAME install_consumer
           COMMAND ${PROJECT_SOURCE_DIR}/tools/test-install.sh ${PROJECT_BINARY_DIR} ${PROJECT_BINARY_DIR}/install-test)
  set_tests_properties(install_consumer PROPERTIES TIMEOUT 900 RUN_SERIAL ON)
endif()
