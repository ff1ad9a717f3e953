# Install step (install(SCRIPT) from deploy/CMakeLists.txt): CMAKE_INSTALL_PREFIX is the prefix
# of this install (--prefix), DESTDIR is honoured. Relative GNUInstallDirs paths are made
# absolute against that prefix; /usr puts the settings in /etc, as GNUInstallDirs does.
function(streamgate_absolute out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  elseif(dir STREQUAL "etc" AND CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(${out} "/etc" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

streamgate_absolute(BINDIR "${STREAMGATE_BINDIR}")
streamgate_absolute(SYSCONFDIR "${STREAMGATE_SYSCONFDIR}")
streamgate_absolute(datadir "${STREAMGATE_DATADIR}")
set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")

foreach(unit streamgate-gateway.service streamgate-llm-service.service)
  configure_file("${STREAMGATE_UNIT_DIR}/${unit}.in" "$ENV{DESTDIR}${unit_dir}/${unit}" @ONLY)
  message(STATUS "Installing: $ENV{DESTDIR}${unit_dir}/${unit}")
endforeach()
foreach(settings gateway.env llm-service.env)
  configure_file("${STREAMGATE_UNIT_DIR}/${settings}"
                 "$ENV{DESTDIR}${datadir}/streamgate/${settings}.example" @ONLY)
  message(STATUS "Installing: $ENV{DESTDIR}${datadir}/streamgate/${settings}.example")
endforeach()
