# Included by ctest after the stream tests gtest_discover_tests found (their names are in
# timbrel_stream_tests_TESTS): those that play through a JACK server run with no other test beside
# them, so that the real-time measurement sees an idle machine.
foreach(test_name IN LISTS timbrel_stream_tests_TESTS)
  if(test_name MATCHES "ThroughJack\\.")
    set_tests_properties("${test_name}" PROPERTIES RUN_SERIAL TRUE)
  endif()
endforeach()
