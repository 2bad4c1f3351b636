# Finds what s2s builds against: Debian's packages by default, or any prefix on
# CMAKE_PREFIX_PATH (LibTorch >= 1.13 from a PyTorch install or the official
# archive; the rest unpacked from .debs by third_party/debian_prefix.sh).
# No foreign code lives here.
find_package(Torch REQUIRED)
if(Torch_VERSION AND Torch_VERSION VERSION_LESS 1.13)
  message(FATAL_ERROR "s2s needs LibTorch 1.13 or later; found ${Torch_VERSION} in ${Torch_DIR}")
endif()
find_package(nlohmann_json 3.10 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
# SentencePiece through pkg-config where there is one; else by its files (a
# machine without pkg-config, a prefix without .pc files).
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(SentencePiece QUIET IMPORTED_TARGET sentencepiece)
endif()
if(NOT TARGET PkgConfig::SentencePiece)
  find_path(SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h REQUIRED)
  find_library(SENTENCEPIECE_LIBRARY sentencepiece REQUIRED)
  find_library(SENTENCEPIECE_TRAIN_LIBRARY sentencepiece_train REQUIRED)
  add_library(s2s_sentencepiece INTERFACE)
  target_include_directories(s2s_sentencepiece INTERFACE ${SENTENCEPIECE_INCLUDE_DIR})
  target_link_libraries(s2s_sentencepiece INTERFACE ${SENTENCEPIECE_LIBRARY} ${SENTENCEPIECE_TRAIN_LIBRARY})
  add_library(PkgConfig::SentencePiece ALIAS s2s_sentencepiece)
endif()
find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
# LibTorch's CMake config adds its flags to CMAKE_CXX_FLAGS; keep them.
set(CMAKE_CXX_FLAGS "${CMAKE_CXX_FLAGS} ${TORCH_CXX_FLAGS}")
