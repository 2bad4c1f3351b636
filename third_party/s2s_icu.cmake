# ICU (Debian: libicu-dev) gives lib/metrics the Unicode general categories and
# full lowercasing that sacreBLEU's intl tokenizer and --lowercase rely on.
# Include after the s2s_core target is defined.
find_package(ICU COMPONENTS uc REQUIRED)
target_link_libraries(s2s_core PUBLIC ICU::uc)
