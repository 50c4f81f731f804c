# Every dependency comes from a Debian 12 package (tools/install-deps.sh) or, for the GPU build,
# from a CUDA-enabled libtorch given through CMAKE_PREFIX_PATH.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Torch REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(SOXR REQUIRED IMPORTED_TARGET soxr)
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
if(TIMBREL_FLUIDSYNTH)
  pkg_check_modules(FLUIDSYNTH REQUIRED IMPORTED_TARGET fluidsynth)
endif()
pkg_check_modules(RTMIDI REQUIRED IMPORTED_TARGET rtmidi)
if(TIMBREL_PORTAUDIO)
  pkg_check_modules(PORTAUDIO REQUIRED IMPORTED_TARGET portaudio-2.0)
endif()

# torch's CMake config appends its flags to CMAKE_CXX_FLAGS (e.g. -D_GLIBCXX_USE_CXX11_ABI);
# keep them there so every target agrees on the ABI.
set(CMAKE_CXX_FLAGS "${CMAKE_CXX_FLAGS} ${TORCH_CXX_FLAGS}")
